"""The tutorials' FastAPI server, as written there: one blocking ``model.generate`` per request inside an
``async def`` endpoint, so requests are served strictly one at a time. The baseline for load_bench.py.

    python benchmarks/tutorial_server.py MODEL_FOLDER PORT
"""

from __future__ import annotations

import datetime
import sys

import torch
import uvicorn
from fastapi import FastAPI, Request
from transformers import AutoModelForCausalLM, AutoTokenizer

app = FastAPI()
tokenizer = AutoTokenizer.from_pretrained(sys.argv[1])
model = AutoModelForCausalLM.from_pretrained(sys.argv[1], dtype=torch.float32)


@app.post("/")
async def create_item(request: Request):  # noqa: ANN201 - the tutorial's code
    json_post = await request.json()
    prompt = json_post.get("prompt")
    max_length = json_post.get("max_length", 512)
    messages = [{"role": "user", "content": prompt}]
    input_ids = tokenizer.apply_chat_template(messages, add_generation_prompt=True, return_tensors="pt", return_dict=True)
    outputs = model.generate(**input_ids, max_new_tokens=max_length, do_sample=False)
    response = tokenizer.decode(outputs[0][input_ids["input_ids"].shape[1] :], skip_special_tokens=True)
    now = datetime.datetime.now().strftime("%Y-%m-%d %H:%M:%S")
    return {"response": response, "history": [], "status": 200, "time": now}


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning")
