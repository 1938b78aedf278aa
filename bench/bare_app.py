"""The ceiling for bench_health.py: a bare FastAPI app answering a constant health body."""

from fastapi import FastAPI

app = FastAPI()


@app.get("/api/health")
def health() -> dict[str, object]:
    return {"status": "ok", "version": "bare", "database": "none", "migrations": {}}
