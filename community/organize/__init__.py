"""Organizers' pages: the dashboard and editing the catalogue, with role checks."""
