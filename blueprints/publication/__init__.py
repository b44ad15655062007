"""The published list of procedures handled by public post (Quyết định 45/2016/QĐ-TTg).

Catalogue data only: which procedures in force can be received and/or returned by post, by field,
with the centre's address and opening hours. Never a figure about dossiers.
"""
