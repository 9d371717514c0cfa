"""The lab's FastAPI app (docs/labs/kubernetes.md): answers {"hello": "world"} on port 5000."""

from fastapi import FastAPI

app = FastAPI(title="fastapi-app")


@app.get("/")
def hello() -> dict[str, str]:
    """The lab's only endpoint; also the readiness and liveness probe."""
    return {"hello": "world"}
