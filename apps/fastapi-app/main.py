"""The lab's FastAPI app (LABS.md section 3): answers {"hello": "world"} on port 5000."""

from fastapi import FastAPI

app = FastAPI(title="fastapi-app")


@app.get("/")
def hello() -> dict[str, str]:
    """The lab's only endpoint; also the readiness and liveness probe."""
    return {"hello": "world"}
