"""The server side: training (the shared cache, the fair queue, budgets), sweeps, the peer."""
