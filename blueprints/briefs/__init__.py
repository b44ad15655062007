"""The PDF meeting brief: preview, draft download, issuing with a number, issued briefs."""
