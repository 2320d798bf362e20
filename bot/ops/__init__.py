"""What operators look at: the health and metrics endpoints, and the metrics behind them."""
