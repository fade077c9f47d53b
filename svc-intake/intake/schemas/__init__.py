"""Request and response DTOs (XCreate / XUpdate / XRead); responses list their fields."""
