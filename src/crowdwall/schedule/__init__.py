"""Schedule-aware walls: import an event's schedule, show "now / next" per room on the big
screen, match each talk's own rules while it runs, and group the archive by talk."""
