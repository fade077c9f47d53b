"""DTOs: XCreate / XUpdate / XRead / XSummary and action bodies X<Action>."""
