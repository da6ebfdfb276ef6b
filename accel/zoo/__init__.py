"""Models: torchvision models and the weights policy; the digits nets and their training."""
