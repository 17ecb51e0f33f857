"""Checks our classic-control environments against Gymnasium's: from 1,000 random states and
actions per environment, set on both sides, one step of `deeplearn rl step` must give
Gymnasium's next state and reward to 1e-9 (the issue asks for 1e-6; we agree to 1e-11, and the
tighter bound catches a drift the looser one would let through), termination exactly, and the
observation to 1e-6 of Gymnasium's float32 observation, relative to its size.

    python Tests/rl/check_dynamics.py [DEEPLEARN_BINARY] [--count N]
"""
import json
import subprocess
import sys
import tempfile

import gymnasium as gym
import numpy as np

ENVIRONMENTS = {
    # name: (Gymnasium id, sampler of (state, action))
    "cartpole": ("CartPole-v1", lambda r: ([r.uniform(-2.4, 2.4), r.uniform(-3, 3), r.uniform(-0.25, 0.25), r.uniform(-3, 3)], [int(r.integers(2))])),
    "acrobot": ("Acrobot-v1", lambda r: ([r.uniform(-np.pi, np.pi), r.uniform(-np.pi, np.pi), r.uniform(-4 * np.pi, 4 * np.pi),
                                          r.uniform(-9 * np.pi, 9 * np.pi)], [int(r.integers(3))])),
    "mountaincar": ("MountainCar-v0", lambda r: ([r.uniform(-1.2, 0.6), r.uniform(-0.07, 0.07)], [int(r.integers(3))])),
    "pendulum": ("Pendulum-v1", lambda r: ([r.uniform(-2 * np.pi, 2 * np.pi), r.uniform(-8, 8)], [r.uniform(-2.5, 2.5)])),
}


def gymnasium_steps(gym_id, states, actions):
    env = gym.make(gym_id).unwrapped
    env.reset(seed=0)
    out = {"next_states": [], "observations": [], "rewards": [], "terminated": []}
    for state, action in zip(states, actions):
        env.state = np.array(state, dtype=np.float64)
        if hasattr(env, "steps_beyond_terminated"):
            env.steps_beyond_terminated = None   # each step is the first from its state
        a = np.array(action, dtype=np.float32) if gym_id == "Pendulum-v1" else action[0]
        observation, reward, terminated, _, _ = env.step(a)
        out["next_states"].append([float(v) for v in env.state])
        out["observations"].append([float(v) for v in observation])
        out["rewards"].append(float(reward))
        out["terminated"].append(bool(terminated))
    return out


def main():
    arguments = [a for a in sys.argv[1:]]
    count = int(arguments[arguments.index("--count") + 1]) if "--count" in arguments else 1000
    binary = next((a for a in arguments if not a.startswith("--") and not a.isdigit()), ".build/debug/deeplearn")
    rng = np.random.default_rng(0)
    results, failures = {}, []
    for name, (gym_id, sample) in ENVIRONMENTS.items():
        pairs = [sample(rng) for _ in range(count)]
        states, actions = [p[0] for p in pairs], [p[1] for p in pairs]
        with tempfile.NamedTemporaryFile("w", suffix=".json") as f:
            json.dump({"states": states, "actions": actions}, f)
            f.flush()
            ours = json.loads(subprocess.run([binary, "rl", "step", "--env", name, "--input", f.name],
                                             check=True, capture_output=True, text=True).stdout)
        theirs = gymnasium_steps(gym_id, states, actions)
        state_difference = float(np.abs(np.array(ours["next_states"]) - np.array(theirs["next_states"])).max())
        reward_difference = float(np.abs(np.array(ours["rewards"]) - np.array(theirs["rewards"])).max())
        o, t = np.array(ours["observations"], dtype=np.float32), np.array(theirs["observations"], dtype=np.float32)
        observation_difference = float((np.abs(o - t) / np.maximum(1, np.abs(t))).max())
        same_termination = ours["terminated"] == theirs["terminated"]
        results[name] = {"steps": count, "max_state_difference": state_difference, "max_reward_difference": reward_difference,
                         "max_observation_difference": observation_difference, "terminations": sum(theirs["terminated"]),
                         "same_termination": same_termination}
        if state_difference > 1e-9 or reward_difference > 1e-9 or observation_difference > 1e-6 or not same_termination:
            failures.append(name)
    print(json.dumps({"environments": results, "failures": failures}))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
