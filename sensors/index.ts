/**
 * The sensors layer's public entry: camera sources (MJPEG over HTTP, snapshot URL, directory
 * replay, ffmpeg, synthetic), the Frame type and its codec, frame helpers on sharp (decode,
 * encode, crop, annotate, motion), the layer's errors, and the generic sensor sources of
 * readings/ (JSON lines, stdin, TCP, HTTP ingest, NATS subject, synthetic).
 */
export { MjpegCamera, type MjpegCameraOptions } from "./mjpegCamera.ts";
export { SnapshotCamera, type SnapshotCameraOptions } from "./snapshotCamera.ts";
export { DirectoryCamera, type DirectoryCameraOptions } from "./directoryCamera.ts";
export { FfmpegCamera, type FfmpegCameraOptions } from "./ffmpegCamera.ts";
export { SyntheticCamera, type SyntheticCameraOptions } from "./syntheticCamera.ts";
export { frameCodec } from "./frameCodec.ts";
export { decodeFrame, type DecodeOptions } from "./frames/decodeFrame.ts";
export { encodeJpeg } from "./frames/encodeJpeg.ts";
export { cropFrame } from "./frames/cropFrame.ts";
export { annotateBoxes, type AnnotateOptions } from "./frames/annotateBoxes.ts";
export { MotionDetector, type MotionOptions, type Motion } from "./frames/motionDetector.ts";
export { SENSOR_ERROR_CODES, SensorError, type SensorErrorReason } from "./errors.ts";
export type * from "./types.ts";
export * from "./readings/index.ts";
