"""Loaders of the outside world's data: fetch (read bytes) then parse (pure), align onto a step."""
