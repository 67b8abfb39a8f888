import t from "tap";
import { SyntheticCamera } from "../../sensors/index.ts";
import { frameChannel } from "./cameraHelpers.ts";

t.test("synthetic - the same seed renders the same bytes; another seed does not", async (t) => {
  const a = new SyntheticCamera({ seed: 11 });
  const b = new SyntheticCamera({ seed: 11 });
  const c = new SyntheticCamera({ seed: 12 });
  for (const seq of [0, 1, 37]) {
    t.same(await a.render(seq), await b.render(seq), `frame ${seq}: equal bytes`);
    t.notSame(await a.render(seq), await c.render(seq), `frame ${seq}: differs from seed 12`);
  }
  t.same(a.boxesAt(5), b.boxesAt(5));
  t.notSame(a.boxesAt(1), a.boxesAt(0), "objects move");
});

t.test("synthetic - puts frames deterministic per seed with ts from fps, then ends", async (t) => {
  const runs = [];
  for (const name of ["one", "two"]) {
    const ch = await frameChannel(t, name);
    const cam = new SyntheticCamera({ seed: 5, width: 96, height: 64, fps: 20, frames: 6, realtime: false, startTs: 2_000_000, channel: ch }).start();
    await cam.finished;
    t.equal(cam.stats().state, "ended");
    runs.push(await ch.get("oldest", "newest"));
  }
  const [one, two] = runs;
  t.same(one.map((i) => i.ts), [0, 1, 2, 3, 4, 5].map((k) => 2_000_000 + k * 50_000));
  t.same(one.map((i) => i.value.jpeg), two.map((i) => i.value.jpeg), "two runs, the same bytes");
  t.same([one[0].value.width, one[0].value.height, one[0].value.camera], [96, 64, "synthetic-5"]);
});

t.test("synthetic - objects stay inside the frame and bounce", async (t) => {
  const cam = new SyntheticCamera({ seed: 3, width: 120, height: 80, speed: 9 });
  for (let seq = 0; seq < 200; seq++) {
    for (const b of cam.boxesAt(seq)) {
      if (b.x < 0 || b.y < 0 || b.x + b.width > 120 || b.y + b.height > 80) t.fail(`frame ${seq}: ${JSON.stringify(b)} outside`);
    }
  }
  t.pass("200 frames inside");
});

t.test("synthetic - stop() ends a real-time camera", async (t) => {
  const ch = await frameChannel(t);
  const cam = new SyntheticCamera({ seed: 1, fps: 50, channel: ch }).start();
  await ch.next(0);
  await cam.stop();
  const n = cam.stats().frames;
  t.ok(n >= 1);
  t.equal(cam.stats().state, "stopped");
  cam.start();
  t.equal(cam.stats().frames, n, "a stopped camera does not start again");
});
