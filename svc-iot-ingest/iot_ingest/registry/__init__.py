"""Beds known from intake, and the device registry with its tokens."""
