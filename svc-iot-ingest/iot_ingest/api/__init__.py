"""HTTP adapters: thin routes around one use case each."""
