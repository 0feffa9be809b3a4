"""Rules and values: money, billing rules, instruments, limits. Imports nothing outside."""
