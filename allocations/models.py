"""Targets, allocation rounds and use by construction projects: built in a later issue."""
