"""Staff pages for surveys, one module per area (thin: authorise, call, render)."""
