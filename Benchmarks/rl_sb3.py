#!/usr/bin/env python3
"""Our `deeplearn rl train` against Stable-Baselines3 with the RL Zoo's hyperparameters, in one run.

For each (environment, algorithm) pair and seed, ours and SB3's run one after the other, which goes
first alternating from seed to seed, so machine noise falls on both alike. Each is timed over
training only, then its deterministic policy plays 100 episodes with seeds 1_000_000 + seed + k,
as `rl train` evaluates. Prints one JSON document to stdout and a table to stderr.

    python Benchmarks/rl_sb3.py --deeplearn .build/release/deeplearn [--pairs cartpole-ppo,...]
        [--seeds 0,1,2] [--threads 2] [--quick] [--output results.json]

Needs a venv with stable-baselines3, gymnasium and torch, without tensorflow (the two abort in one
process): python -m venv /tmp/torch-venv && /tmp/torch-venv/bin/pip install stable-baselines3 gymnasium
"""
import argparse
import json
import os
import platform
import subprocess
import sys
import time

IDS = {"cartpole": "CartPole-v1", "acrobot": "Acrobot-v1", "mountaincar": "MountainCar-v0", "pendulum": "Pendulum-v1"}

# The RL Zoo's hyperparameters (rl-baselines3-zoo hyperparams/{ppo,dqn,sac}.yml, checked against its
# master of April 2026); everything else is SB3's default. `lin_x` falls linearly from x to 0 over
# training; `normalize` wraps the training envs in VecNormalize with the recipe's gamma, as the Zoo does.
ZOO = {
    ("cartpole", "ppo"): dict(n_envs=8, n_timesteps=100_000, n_steps=32, batch_size=256, gae_lambda=0.8, gamma=0.98,
                              n_epochs=20, ent_coef=0.0, learning_rate="lin_0.001", clip_range="lin_0.2"),
    ("cartpole", "dqn"): dict(n_timesteps=50_000, learning_rate=2.3e-3, batch_size=64, buffer_size=100_000,
                              learning_starts=1000, gamma=0.99, target_update_interval=10, train_freq=256,
                              gradient_steps=128, exploration_fraction=0.16, exploration_final_eps=0.04,
                              policy_kwargs=dict(net_arch=[256, 256])),
    ("pendulum", "sac"): dict(n_timesteps=20_000, learning_rate=1e-3),
    ("acrobot", "ppo"): dict(normalize=True, n_envs=16, n_timesteps=1_000_000, n_steps=256, gae_lambda=0.94,
                             gamma=0.99, n_epochs=4, ent_coef=0.0),
    ("mountaincar", "dqn"): dict(n_timesteps=120_000, learning_rate=4e-3, batch_size=128, buffer_size=10_000,
                                 learning_starts=1000, gamma=0.98, target_update_interval=600, train_freq=16,
                                 gradient_steps=8, exploration_fraction=0.2, exploration_final_eps=0.07,
                                 policy_kwargs=dict(net_arch=[256, 256])),
}


def machine():
    info = open("/proc/cpuinfo").read()
    model = next((l.split(":", 1)[1].strip() for l in info.splitlines() if l.startswith("model name")), platform.processor())
    flags = next((l.split(":", 1)[1].split() for l in info.splitlines() if l.startswith("flags")), [])
    wanted = ["avx2", "fma", "avx512f", "avx512_bf16", "avx512_vnni"]
    return {"cpu": model, "flags": [f for f in wanted if f in flags], "cores": os.cpu_count()}


def ours(binary, env, algo, seed, steps, threads):
    command = [binary, "rl", "train", "--env", env, "--algo", algo, "--seed", str(seed), "--json"]
    if steps:
        command += ["--steps", str(steps)]
    run = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "DEEPLEARN_THREADS": str(threads)})
    if run.returncode != 0:
        return {"error": (run.stderr.strip().splitlines() or ["exit status %d" % run.returncode])[-1]}
    try:
        result = json.loads(run.stdout)
    except json.JSONDecodeError:
        return {"error": "no JSON object on stdout: %r" % run.stdout[-200:]}
    return {k: result[k] for k in ("mean_return_100", "std_return_100", "env_steps", "train_seconds")}


def schedule(value):
    if isinstance(value, str) and value.startswith("lin_"):
        start = float(value[4:])
        return lambda remaining: remaining * start
    return value


def sb3(env, algo, seed, steps, episodes):
    import gymnasium as gym
    import numpy as np
    from stable_baselines3 import DQN, PPO, SAC
    from stable_baselines3.common.env_util import make_vec_env
    from stable_baselines3.common.vec_env import VecNormalize

    recipe = dict(ZOO[(env, algo)])
    total = steps or recipe.pop("n_timesteps")
    recipe.pop("n_timesteps", None)
    normalize = recipe.pop("normalize", False)
    vector = make_vec_env(IDS[env], n_envs=recipe.pop("n_envs", 1), seed=seed)
    if normalize:
        vector = VecNormalize(vector, gamma=recipe.get("gamma", 0.99))
    for key in ("learning_rate", "clip_range"):
        if key in recipe:
            recipe[key] = schedule(recipe[key])
    model = {"ppo": PPO, "dqn": DQN, "sac": SAC}[algo]("MlpPolicy", vector, seed=seed, verbose=0, **recipe)
    start = time.perf_counter()
    model.learn(total_timesteps=total)
    seconds = time.perf_counter() - start
    if normalize:  # evaluate with the statistics frozen, on raw rewards
        vector.training, vector.norm_reward = False, False

    single = gym.make(IDS[env])
    returns = []
    for k in range(episodes):
        observation, _ = single.reset(seed=1_000_000 + seed + k)
        total_reward, done = 0.0, False
        while not done:
            x = vector.normalize_obs(observation) if normalize else observation
            action, _ = model.predict(x, deterministic=True)
            observation, reward, terminated, truncated, _ = single.step(action)
            total_reward += float(reward)
            done = terminated or truncated
        returns.append(total_reward)
    return {"mean_return_100": float(np.mean(returns)), "std_return_100": float(np.std(returns)),
            "env_steps": model.num_timesteps, "train_seconds": seconds}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deeplearn", required=True)
    parser.add_argument("--pairs", default=",".join("-".join(p) for p in ZOO))
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="2,000 steps and SB3 evaluated on 5 episodes: a smoke test")
    parser.add_argument("--output")
    args = parser.parse_args()

    import gymnasium
    import stable_baselines3
    import torch
    torch.set_num_threads(args.threads)
    pairs = [tuple(p.split("-")) for p in args.pairs.split(",")]
    for pair in pairs:
        if pair not in ZOO:
            parser.error("unknown pair %s; choose from %s" % ("-".join(pair), ", ".join("-".join(p) for p in ZOO)))
    steps, episodes = (2000, 5) if args.quick else (None, 100)
    runs = []
    print("%-15s %-4s %4s  %-26s %-26s %s" % ("env", "algo", "seed", "ours: return, seconds", "SB3: return, seconds",
                                             "SB3/ours time"), file=sys.stderr, flush=True)
    for env, algo in pairs:
        for index, seed in enumerate(int(s) for s in args.seeds.split(",")):
            run_ours = lambda: ours(args.deeplearn, env, algo, seed, steps, args.threads)
            run_sb3 = lambda: sb3(env, algo, seed, steps, episodes)
            if index % 2 == 0:
                mine, theirs = run_ours(), run_sb3()
            else:
                theirs, mine = run_sb3(), run_ours()
            run = {"env": IDS[env], "algo": algo, "seed": seed, "ours": mine, "sb3": theirs}
            if mine.get("train_seconds"):
                run["time_ratio"] = theirs["train_seconds"] / mine["train_seconds"]
            runs.append(run)
            cell = lambda r: "%8.1f ± %-6.1f %7.1f s" % (r["mean_return_100"], r["std_return_100"], r["train_seconds"])
            print("%-15s %-4s %4d  %-26s %-26s %s" % (
                IDS[env], algo, seed, mine.get("error") or cell(mine), cell(theirs),
                "%.2fx" % run["time_ratio"] if "time_ratio" in run else "-"), file=sys.stderr, flush=True)
    document = {"machine": machine(), "threads": args.threads,
                "versions": {"stable_baselines3": stable_baselines3.__version__, "torch": torch.__version__,
                             "gymnasium": gymnasium.__version__, "python": platform.python_version()},
                "runs": runs}
    text = json.dumps(document, indent=1)
    print(text)
    if args.output:
        with open(args.output, "w") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    main()
