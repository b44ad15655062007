"""Administration: users, departments, fields, organisation settings, the audit log."""
