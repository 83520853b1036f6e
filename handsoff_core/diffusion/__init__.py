"""Diffusion editing: edit direction, DDIM inversion, pix2pix-zero re-diffusion, null-text.

Plain functions over Stable Diffusion components (UNet, VAE, text encoder, tokenizer,
scheduler config); the Hands-off method (handsoff_core.methods.handsoff) composes them.
"""
