"""Operator jobs and the account import: reconciliation, import, account views, demo data."""
