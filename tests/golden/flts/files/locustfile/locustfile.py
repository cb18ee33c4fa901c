"""Load test for the FLTS inference tier (through the HAProxy balancer)."""
import os
import random
import time

from locust import HttpUser, LoadTestShape, between, events, task

WINDOW = int(os.getenv("WINDOW_SIZE", "24"))
FEATURES = ["consumption", "temperature", "humidity", "hour_sin", "hour_cos"]


def make_window():
    now = int(time.time()) // 3600 * 3600
    rows = []
    for i in range(WINDOW):
        rows.append({
            "timestamp": now - (WINDOW - i) * 3600,
            **{f: round(random.uniform(0.0, 1.0), 4) for f in FEATURES},
        })
    return rows


class InferenceUser(HttpUser):
    wait_time = between(0.5, 2.0)

    @task(10)
    def predict(self):
        payload = {"horizon": 1, "data": make_window()}
        with self.client.post("/predict", json=payload, name="/predict",
                              catch_response=True) as resp:
            if resp.status_code != 200:
                resp.failure(f"status {resp.status_code}")
            elif "prediction" not in resp.json():
                resp.failure("no prediction in body")

    @task(2)
    def predict_batch(self):
        payload = {"horizon": 6, "data": make_window()}
        self.client.post("/predict?batch=true", json=payload, name="/predict [batch]")

    @task(1)
    def model_info(self):
        self.client.get("/model", name="/model")

    @task(1)
    def ready(self):
        self.client.get("/ready", name="/ready")


class StepShape(LoadTestShape):
    """Ramp in steps so the HPA has time to react between them."""

    step_users = int(os.getenv("STEP_USERS", "50"))
    step_seconds = int(os.getenv("STEP_SECONDS", "120"))
    max_users = int(os.getenv("MAX_USERS", "400"))

    def tick(self):
        run_time = self.get_run_time()
        step = int(run_time // self.step_seconds) + 1
        users = min(step * self.step_users, self.max_users)
        if run_time > self.step_seconds * (self.max_users // self.step_users + 2):
            return None
        return users, self.step_users


@events.test_start.add_listener
def _on_start(environment, **kwargs):
    print(f"FLTS load test against {environment.host}")
