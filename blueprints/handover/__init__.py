"""Hand-over records (biên bản giao nhận) between the centre and the postal worker.

Under Quyết định 45/2016/QĐ-TTg a dossier sent by post is legally received when this record is
signed, and results leave the centre the same way. Only centre staff and administrators see it:
the record names the citizens.
"""
