"""Dossiers: the one-stop system's export imported, searched and shown with their shipments."""
