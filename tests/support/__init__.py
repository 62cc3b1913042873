"""Test support shared by every test package: factories per app, worker processes, slow jobs."""
