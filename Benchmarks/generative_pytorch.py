#!/usr/bin/env python3
"""PyTorch peers of our generative models on Fashion-MNIST: the same architectures, losses,
optimizers and batch size, trained on the full training set and scored on the 10,000 test images.

    python Benchmarks/generative_pytorch.py --model ae|dae|vae|gan|cgan|pca [--epochs N] [--latent N]
        [--batch-size 128] [--seed 0] [--limit N] [--loss bce|hinge] [--threads 2]
        [--data /usr/share/datasets/fashion-mnist] [--output F.safetensors]

--model ae: dense autoencoder 784-512-256-L-256-512-784 (ReLU, Sigmoid out), MSE; reports test_mse.
--model dae: convolutional denoising autoencoder trained on x + 0.3 N(0,1) clamped to [0, 1];
  reports PSNR of the noisy and denoised test images against the clean ones.
--model vae: 784-400-2L encoder, L-400-784 decoder of logits, Bernoulli likelihood on grayscale
  targets; reports the test negative ELBO, its two terms and the k=100 importance-weighted bound.
--model gan / cgan: DCGAN (cgan: one-hot labels concatenated to G's input and, as 10 constant planes,
  to D's input), Adam 2e-4 (0.5, 0.999), non-saturating or hinge loss, EMA generator (0.999) whose
  10,000 samples are written for scoring.
--model pca: scikit-learn PCA with L components; reports test_mse of the reconstructions.

Adam 1e-3 and PyTorch's default initialization unless stated; batch 128 drawn from a fresh random
permutation every epoch, the last partial batch kept. Epochs are timed over training only. Progress
goes to stderr; one JSON object is printed last on stdout. --output writes a safetensors file
(reconstructions / noisy, denoised / samples [, labels]) that the Swift tool scores. --limit N trains
on the first N training images only (a smoke test); evaluation always uses the full test set.
"""
import argparse
import copy
import json
import math
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from common import fashion_mnist
from torch import nn

EPOCHS = {"ae": 10, "dae": 10, "vae": 10, "gan": 5, "cgan": 5}
LATENT = {"ae": 32, "dae": 64, "vae": 20, "gan": 64, "cgan": 64, "pca": 32}
CHUNK = 1000  # test images per evaluation batch


def log(message):
    print(message, file=sys.stderr, flush=True)


def train(images, a, step):
    """Runs `step(batch_indices)` (which returns a loss) over shuffled batches for a.epochs epochs;
    returns the training seconds and the mean loss (weighted by batch size) of each epoch."""
    seconds, losses = [], []
    for epoch in range(a.epochs):
        start = time.perf_counter()
        total = 0.0
        for batch in torch.randperm(len(images)).split(a.batch_size):
            total += step(batch) * len(batch)
        seconds.append(time.perf_counter() - start)
        losses.append(total / len(images))
        log(f"epoch {epoch + 1}/{a.epochs}: loss {losses[-1]:.5f}, {seconds[-1]:.1f} s")
    return seconds, losses


def optimize(optimizer, loss):
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.item()


def per_image_mse(output, target):
    return ((output - target) ** 2).flatten(1).mean(1)


def apply(model, images):
    """model(images) in eval mode without gradients, CHUNK images at a time."""
    model.eval()
    with torch.no_grad():
        return torch.cat([model(x) for x in images.split(CHUNK)])


def autoencoder(a, train_x, train_y, test_x):
    L = a.latent
    model = nn.Sequential(
        nn.Sequential(nn.Flatten(), nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, L)),
        nn.Sequential(nn.Linear(L, 256), nn.ReLU(), nn.Linear(256, 512), nn.ReLU(), nn.Linear(512, 784), nn.Sigmoid(),
                      nn.Unflatten(1, (1, 28, 28))))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.MSELoss()

    def step(batch):
        x = train_x[batch]
        return optimize(opt, loss_fn(model(x), x))

    seconds, losses = train(train_x, a, step)
    reconstructions = apply(model, test_x)
    mse = per_image_mse(reconstructions, test_x).mean().item()
    return {"epoch_seconds": seconds, "train_loss": losses, "test_mse": mse}, {"reconstructions": reconstructions}


def add_noise(x, generator=None):
    return (x + 0.3 * torch.randn(x.shape, generator=generator)).clamp(0, 1)


def psnr(output, target):
    """Mean over images of 10 log10(1 / mse) (peak 1)."""
    return (10 * torch.log10(1 / per_image_mse(output, target))).mean().item()


def denoising(a, train_x, train_y, test_x):
    L = a.latent
    model = nn.Sequential(
        nn.Sequential(nn.Conv2d(1, 32, 3, stride=2, padding=1), nn.ReLU(), nn.Conv2d(32, 64, 3, stride=2, padding=1),
                      nn.ReLU(), nn.Flatten(), nn.Linear(64 * 7 * 7, L)),
        nn.Sequential(nn.Linear(L, 64 * 7 * 7), nn.ReLU(), nn.Unflatten(1, (64, 7, 7)),
                      nn.ConvTranspose2d(64, 32, 4, stride=2, padding=1), nn.ReLU(),
                      nn.ConvTranspose2d(32, 1, 4, stride=2, padding=1), nn.Sigmoid()))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.MSELoss()

    def step(batch):
        x = train_x[batch]
        return optimize(opt, loss_fn(model(add_noise(x)), x))

    seconds, losses = train(train_x, a, step)
    noisy = add_noise(test_x, torch.Generator().manual_seed(a.seed + 1))
    denoised = apply(model, noisy)
    return ({"epoch_seconds": seconds, "train_loss": losses, "psnr_noisy": psnr(noisy, test_x),
             "psnr_denoised": psnr(denoised, test_x), "test_mse": per_image_mse(denoised, test_x).mean().item()},
            {"noisy": noisy, "denoised": denoised})


class VAE(nn.Module):
    def __init__(self, latent):
        super().__init__()
        self.encoder = nn.Sequential(nn.Flatten(), nn.Linear(784, 400), nn.ReLU(), nn.Linear(400, 2 * latent))
        self.decoder = nn.Sequential(nn.Linear(latent, 400), nn.ReLU(), nn.Linear(400, 784))

    def encode(self, x):
        """mu and logvar, each [n, L]."""
        return self.encoder(x).chunk(2, dim=1)

    def terms(self, x, eps):
        """Per-image reconstruction (BCE summed over pixels) and KL terms with z = mu + sigma eps."""
        mu, logvar = self.encode(x)
        logits = self.decoder(mu + (0.5 * logvar).exp() * eps)
        reconstruction = F.binary_cross_entropy_with_logits(logits, x.flatten(1), reduction="none").sum(1)
        kl = -0.5 * (1 + logvar - mu ** 2 - logvar.exp()).sum(1)
        return reconstruction, kl

    def importance_weighted_nll(self, x, k, generator):
        """Per-image -log mean_i exp(log p(x|z_i) + log N(z_i; 0, I) - log q(z_i|x)), z_i ~ q(z|x)."""
        mu, logvar = self.encode(x)
        eps = torch.randn((k, *mu.shape), generator=generator)
        z = mu + (0.5 * logvar).exp() * eps
        logits = self.decoder(z)  # [k, n, 784]
        log_px = -F.binary_cross_entropy_with_logits(logits, x.flatten(1).expand_as(logits), reduction="none").sum(-1)
        # log N(z; 0, I) - log N(z; mu, sigma), the 2 pi terms cancelling and (z - mu) / sigma = eps
        log_prior_over_q = -0.5 * (z ** 2).sum(-1) + 0.5 * (eps ** 2 + logvar).sum(-1)
        return -(torch.logsumexp(log_px + log_prior_over_q, dim=0) - math.log(k))


def variational(a, train_x, train_y, test_x):
    model = VAE(a.latent)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)

    def step(batch):
        reconstruction, kl = model.terms(train_x[batch], torch.randn(len(batch), a.latent))
        return optimize(opt, (reconstruction + kl).mean())

    seconds, losses = train(train_x, a, step)
    generator = torch.Generator().manual_seed(a.seed + 1)
    model.eval()
    with torch.no_grad():
        terms = [model.terms(x, torch.randn((len(x), a.latent), generator=generator)) for x in test_x.split(CHUNK)]
        reconstruction, kl = (torch.cat(t) for t in zip(*terms))
        nll = torch.cat([model.importance_weighted_nll(x, 100, generator) for x in test_x.split(100)])
        reconstructions = torch.cat([torch.sigmoid(model.decoder(model.encode(x)[0])) for x in test_x.split(CHUNK)])
        samples = torch.sigmoid(model.decoder(torch.randn((64, a.latent), generator=generator)))
    return ({"epoch_seconds": seconds, "train_loss": losses,
             "test_neg_elbo_nats": (reconstruction + kl).mean().item(),
             "test_reconstruction_nats": reconstruction.mean().item(), "test_kl_nats": kl.mean().item(),
             "test_nll_iw_nats": nll.mean().item()},
            {"reconstructions": reconstructions.view(-1, 1, 28, 28), "samples": samples.view(-1, 1, 28, 28)})


def dcgan_init(module):
    """N(0, 0.02) weights and zero biases; BatchNorm weights N(1, 0.02), biases zero."""
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
        nn.init.normal_(module.weight, 0.0, 0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.BatchNorm2d):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


def generator_net(latent, classes):
    return nn.Sequential(
        nn.Linear(latent + classes, 64 * 7 * 7), nn.Unflatten(1, (64, 7, 7)), nn.BatchNorm2d(64), nn.ReLU(),
        nn.ConvTranspose2d(64, 32, 4, stride=2, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU(),
        nn.ConvTranspose2d(32, 1, 4, stride=2, padding=1), nn.Tanh())


def discriminator_net(classes):
    return nn.Sequential(
        nn.Conv2d(1 + classes, 32, 4, stride=2, padding=1), nn.LeakyReLU(0.2),
        nn.Conv2d(32, 64, 4, stride=2, padding=1, bias=False), nn.BatchNorm2d(64), nn.LeakyReLU(0.2),
        nn.Flatten(), nn.Linear(64 * 7 * 7, 1))


def with_z_labels(z, y):
    """G's input: z, or z concatenated with one_hot(y) when conditional."""
    return z if y is None else torch.cat([z, F.one_hot(y, 10).float()], dim=1)


def with_image_labels(x, y):
    """D's input: x, or x concatenated along channels with one_hot(y) as 10 constant 28x28 planes."""
    return x if y is None else torch.cat([x, F.one_hot(y, 10).float()[:, :, None, None].expand(-1, -1, 28, 28)], dim=1)


def gan_losses(real, fake, hinge):
    """(loss_D on real and detached-fake logits, loss_G as a function of D's logits on the fakes)."""
    if hinge:
        return F.relu(1 - real).mean() + F.relu(1 + fake).mean(), lambda logits: -logits.mean()
    bce = F.binary_cross_entropy_with_logits
    return (bce(real, torch.ones_like(real)) + bce(fake, torch.zeros_like(fake)),
            lambda logits: bce(logits, torch.ones_like(logits)))


def update_ema(ema, live, decay=0.999):
    with torch.no_grad():
        for e, p in zip(ema.parameters(), live.parameters()):
            e.mul_(decay).add_(p, alpha=1 - decay)
        for e, b in zip(ema.buffers(), live.buffers()):
            e.copy_(b)


def adversarial(a, train_x, train_y, test_x):
    classes = 10 if a.model == "cgan" else 0
    G, D = generator_net(a.latent, classes), discriminator_net(classes)
    G.apply(dcgan_init)
    D.apply(dcgan_init)
    ema = copy.deepcopy(G)
    opt_g = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    images = train_x * 2 - 1
    seconds, loss_d, loss_g, accuracy, steps = [], [], [], [], 0
    for epoch in range(a.epochs):
        start = time.perf_counter()
        sums, correct, batches = [0.0, 0.0], 0, 0
        for batch in torch.randperm(len(images)).split(a.batch_size):
            n = len(batch)
            y_real = train_y[batch] if classes else None
            y_fake = torch.randint(0, 10, (n,)) if classes else None
            fake = G(with_z_labels(torch.randn(n, a.latent), y_fake))
            real_logits = D(with_image_labels(images[batch], y_real)).squeeze(1)
            fake_logits = D(with_image_labels(fake.detach(), y_fake)).squeeze(1)
            d_loss, g_loss_of = gan_losses(real_logits, fake_logits, a.loss == "hinge")
            ld = optimize(opt_d, d_loss)
            lg = optimize(opt_g, g_loss_of(D(with_image_labels(fake, y_fake)).squeeze(1)))
            update_ema(ema, G)
            if math.isnan(ld) or math.isnan(lg):
                raise SystemExit(f"error: NaN loss at epoch {epoch + 1}, step {steps + 1} (loss_D {ld}, loss_G {lg})")
            sums[0] += ld
            sums[1] += lg
            correct += (real_logits > 0).sum().item() + (fake_logits < 0).sum().item()
            batches += 1
            steps += 1
        seconds.append(time.perf_counter() - start)
        loss_d.append(sums[0] / batches)
        loss_g.append(sums[1] / batches)
        accuracy.append(correct / (2 * len(images)))
        log(f"epoch {epoch + 1}/{a.epochs}: loss_D {loss_d[-1]:.4f}, loss_G {loss_g[-1]:.4f}, "
            f"D accuracy {accuracy[-1]:.3f}, {seconds[-1]:.1f} s")

    generator = torch.Generator().manual_seed(a.seed + 1)
    labels = torch.arange(10).repeat_interleave(1000)
    ema.eval()
    with torch.no_grad():
        samples = torch.cat([ema(with_z_labels(torch.randn((len(y), a.latent), generator=generator),
                                               y if classes else None)) for y in labels.split(500)])
    tensors = {"samples": ((samples + 1) / 2).clamp(0, 1)}
    if classes:
        tensors["labels"] = labels
    return ({"epoch_seconds": seconds, "loss": a.loss, "steps": steps, "loss_d": loss_d, "loss_g": loss_g,
             "d_accuracy": accuracy}, tensors)


def principal_components(a, train_x, train_y, test_x):
    from sklearn.decomposition import PCA
    pca = PCA(n_components=a.latent, random_state=a.seed)
    start = time.perf_counter()
    pca.fit(train_x.flatten(1).numpy())
    fit_seconds = time.perf_counter() - start
    test = test_x.flatten(1).numpy()
    reconstructions = pca.inverse_transform(pca.transform(test)).astype(np.float32)
    return ({"epoch_seconds": [], "fit_seconds": fit_seconds, "test_mse": float(np.mean((reconstructions - test) ** 2)),
             "explained_variance_ratio": float(pca.explained_variance_ratio_.sum())},
            {"reconstructions": torch.from_numpy(reconstructions).view(-1, 1, 28, 28)})


MODELS = {"ae": autoencoder, "dae": denoising, "vae": variational, "gan": adversarial, "cgan": adversarial,
          "pca": principal_components}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", choices=list(MODELS), required=True)
    p.add_argument("--epochs", type=int, help="default: ae 10, dae 10, vae 10, gan 5, cgan 5 (pca has none)")
    p.add_argument("--latent", type=int, help="default: ae 32, dae 64, vae 20, gan 64, cgan 64, pca 32")
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--limit", type=int, help="train on the first N training images only (smoke tests)")
    p.add_argument("--loss", choices=["bce", "hinge"], default="bce", help="gan / cgan loss")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    p.add_argument("--output", help="safetensors file for the tensors the Swift tool scores")
    a = p.parse_args()
    a.epochs = 0 if a.model == "pca" else EPOCHS[a.model] if a.epochs is None else a.epochs
    a.latent = LATENT[a.model] if a.latent is None else a.latent
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    np.random.seed(a.seed)

    train_x, train_y = (torch.from_numpy(t) for t in fashion_mnist(a.data, "train"))
    test_x = torch.from_numpy(fashion_mnist(a.data, "t10k")[0]).view(-1, 1, 28, 28)
    train_x, train_y = train_x[:a.limit].view(-1, 1, 28, 28), train_y[:a.limit]
    log(f"{a.model}: {len(train_x)} training images, latent {a.latent}, {a.epochs} epochs, {a.threads} threads")
    result, tensors = MODELS[a.model](a, train_x, train_y, test_x)
    if a.output:
        from safetensors.torch import save_file
        save_file({name: t.contiguous() for name, t in tensors.items()}, a.output)
    print(json.dumps({"model": a.model, "framework": "pytorch", "torch": torch.__version__,
                      "threads": torch.get_num_threads(), "seed": a.seed, "latent": a.latent, "epochs": a.epochs,
                      "batch_size": a.batch_size, "train_images": len(train_x), **result}))


if __name__ == "__main__":
    main()
