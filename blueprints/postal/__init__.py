"""Postal shipments: the centre's log, edits and cancellations, manifests, reconciliation, privacy."""
