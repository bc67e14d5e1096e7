"""The lab around the network: sweeps and their pools, cost estimates, the scikit-learn peer,
looking inside a run, notebooks. Nothing here is needed to read how the network learns."""
