"""Edge migration (docs/labs/kubernetes.md): move the FastAPI app to the closest worker.

``python -m edge measure`` times requests to the app's NodePort on each worker,
``python -m edge decide`` picks the closest worker with hysteresis (no flapping),
``python -m edge migrate [--dry-run]`` applies the decision: it sets the stack's
``cloudlab:workload.placement`` and runs ``pulumi up`` through the Automation API.
"""
