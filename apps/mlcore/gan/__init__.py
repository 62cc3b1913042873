"""The colorization GAN in plain PyTorch: no Django imports here (DESIGN.md section 2)."""
