"""Evaluation metrics. Toy-distribution metrics live in ``toy``; image metrics (FID/IS/KID via pytorch-fid and
torch-fidelity) arrive with the data-and-metrics work."""
