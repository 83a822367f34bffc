// spec/bench/openai.mjs URL MODEL -- node's official `openai` SDK, the peer
// most users of other languages reach for: one streamed chat, counting the
// non-empty contents.  `make bench` installs the package into a temp folder.
import OpenAI from "openai";
const [url, model] = process.argv.slice(2);
const client = new OpenAI({ baseURL: url, apiKey: "sk-or-v1-bench-not-a-real-key", maxRetries: 0 });
const stream = await client.chat.completions.create({
  model, stream: true, messages: [{ role: "user", content: "x" }],
});
let n = 0;
for await (const chunk of stream) {
  const text = chunk.choices[0]?.delta?.content;
  if (text) n++;
}
console.log(n);
