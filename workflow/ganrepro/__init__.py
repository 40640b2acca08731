"""ganrepro: a reproducibility benchmark harness for Wasserstein-GAN-family papers."""

__version__ = "0.1.0"
