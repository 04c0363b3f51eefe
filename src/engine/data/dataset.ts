import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import type { Dirent, Stats } from 'node:fs';
import { statSync } from 'node:fs';
import { basename, dirname, extname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { FttlError } from '../util/errors.js';
import { matchClass } from './classNames.js';
import { parseCsv } from './csv.js';
import { mapLimit } from './mapLimit.js';
import { naturalCompare, naturalSort } from './naturalSort.js';

/** File extensions (lower case) treated as images; anything else in a class folder is ignored. */
export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg', '.tif', '.tiff', '.webp', '.bmp'];

/** One labelled image. */
export interface ImageItem {
  /** Absolute path. */
  path: string;
  /** Index into the dataset's `classes`. */
  label: number;
}

/** A file the scan found but will not use, and why (shown to the user, never silently dropped). */
export interface SkippedFile {
  path: string;
  reason: string;
}

/** A scanned, labelled set of images. Items are ordered by label, then naturally by path. */
export interface Dataset {
  /** The folder paths are relative to (the class-folder root, or a CSV's image root). */
  root: string;
  /** Class names; `ImageItem.label` indexes this. */
  classes: string[];
  items: ImageItem[];
  skipped: SkippedFile[];
}

/** Options shared by the scanners. */
export interface ScanOptions {
  /**
   * Use this class order (e.g. the training split's) instead of deriving one; a class the
   * source names that is not in the list is an error. Classes of the list that the source
   * lacks are fine (a small val split may miss a rare grade).
   */
  classes?: string[];
}

// Statting many files in parallel is much faster than one by one, but not thousands at once.
const STAT_CONCURRENCY = 32;

const isHidden = (name: string) => name.startsWith('.');
const isImageName = (name: string) => IMAGE_EXTENSIONS.includes(extname(name).toLowerCase());

/**
 * Scans `<root>/<class>/<image>` (images directly inside each class folder; deeper folders,
 * hidden entries and non-image files are ignored). Classes are the sub-folder names in natural
 * order ("0_no_dr" < "1_mild", "2" < "10") unless `opts.classes` fixes the order.
 * Zero-byte image files are listed in `skipped`. Errors (FttlError 'bad-input'): root missing or
 * not a folder, no class folders / no images at all, a class folder with no usable image,
 * a class folder not in `opts.classes`.
 */
export async function scanFolder(root: string, opts: ScanOptions = {}): Promise<Dataset> {
  root = resolve(root);
  await expectKind(root, 'folder');
  const entries = await readdirOrFail(root);
  const classDirs: string[] = [];
  let looseImages = 0;
  for (const e of entries) {
    if (isHidden(e.name)) continue;
    if (await isDirEntry(root, e)) classDirs.push(e.name);
    else if (isImageName(e.name)) looseImages++;
  }
  if (classDirs.length === 0) {
    throw new FttlError(
      'bad-input',
      looseImages > 0
        ? `${root} holds ${looseImages} images directly but no class sub-folders: put each class's images in its own sub-folder (e.g. ${join(root, '0_no_dr')}/).`
        : `No images found in ${root}: expected one sub-folder per class holding ${IMAGE_EXTENSIONS.join(' ')} files.`,
    );
  }

  const dirNames = naturalSort(classDirs);
  const classes = opts.classes ? [...opts.classes] : dirNames;
  const labelOf = new Map<string, number>();
  for (const d of dirNames) {
    const label = opts.classes ? matchClass(d, classes) : classes.indexOf(d);
    if (label < 0) {
      throw new FttlError(
        'bad-input',
        `Class folder "${d}" in ${root} is not one of the training classes (${classes.join(', ')}).`,
      );
    }
    labelOf.set(d, label);
  }

  const items: ImageItem[] = [];
  const skipped: SkippedFile[] = [];
  for (const d of dirNames) {
    const dir = join(root, d);
    const files = (await readdirOrFail(dir)).filter((e) => !isHidden(e.name) && isImageName(e.name));
    const stats = await mapLimit(files, STAT_CONCURRENCY, (e) => statOrNull(join(dir, e.name)));
    const before = items.length;
    const skippedBefore = skipped.length;
    files.forEach((e, i) => {
      const s = stats[i];
      const path = join(dir, e.name);
      if (!s || !s.isFile()) return; // a dangling link or a folder named like an image: not an image file
      if (s.size === 0) skipped.push({ path, reason: 'empty file (0 bytes)' });
      else items.push({ path, label: labelOf.get(d)! });
    });
    if (items.length === before) {
      const hint =
        skipped.length > skippedBefore
          ? ` (${skipped.length - skippedBefore} skipped: ${skipped[skippedBefore]!.reason})`
          : (await hasSubfolders(dir))
            ? ` (it holds only sub-folders: is ${root} one level too high?)`
            : '';
      throw emptyClassError(d, root, hint);
    }
  }
  sortItems(items);
  return { root, classes, items, skipped };
}

/** Column names accepted in a label CSV (lower case): Kaggle DR 2015 and APTOS 2019 layouts. */
const IMAGE_COLUMNS = ['image', 'id_code'];
const LEVEL_COLUMNS = ['level', 'diagnosis'];

/**
 * Scans a label CSV: a header naming an image column (`image`, or APTOS's `id_code`) and a
 * level column (`level`, or `diagnosis`), case-insensitive, other columns ignored — the Kaggle
 * diabetic-retinopathy `trainLabels.csv` layout. The image value is a path relative to
 * `imageRoot` (or absolute) and may lack its extension (`10_left` finds `10_left.jpeg`; when
 * several extensions exist the first in IMAGE_EXTENSIONS order wins).
 *
 * Classes are the distinct levels in numeric order, named by the level ("0".."4"), so labels keep
 * the ordinal grade order that quadratic kappa needs. With `opts.classes`, levels map onto those
 * classes (a level "3" also finds a class "3_severe").
 *
 * Missing or zero-byte files and repeated rows go to `skipped` (reason starts `${csv}:${line}:`).
 * Malformed rows fail the whole scan with FttlError('bad-input', `${csv}:${line}: <reason>`):
 * wrong column count, empty image name, a level that is not a non-negative integer, an image
 * listed twice with different levels, a level outside `opts.classes`.
 */
export async function scanCsv(csvPath: string, imageRoot: string, opts: ScanOptions = {}): Promise<Dataset> {
  csvPath = resolve(csvPath);
  imageRoot = resolve(imageRoot);
  await expectKind(csvPath, 'file');
  let text: string;
  try {
    text = await readFile(csvPath, 'utf8');
  } catch (err) {
    throw new FttlError('bad-input', `${csvPath}: cannot read (${(err as Error).message})`, { cause: err });
  }
  const records = parseCsv(text, csvPath);
  if (records.length === 0) throw new FttlError('bad-input', `${csvPath}:1: empty file; expected a header "image,level".`);
  const header = records[0]!;
  const names = header.fields.map((f) => f.trim().toLowerCase());
  const imageCol = names.findIndex((n) => IMAGE_COLUMNS.includes(n));
  const levelCol = names.findIndex((n) => LEVEL_COLUMNS.includes(n));
  if (imageCol < 0 || levelCol < 0) {
    throw new FttlError(
      'bad-input',
      `${csvPath}:${header.line}: the header must name the columns "image" and "level" (found "${header.fields.join(',')}").`,
    );
  }

  // Pass 1: validate rows (fail fast on malformed ones) and resolve paths.
  interface Row { line: number; image: string; level: string; wanted: string }
  const rows: Row[] = [];
  for (const r of records.slice(1)) {
    const at = `${csvPath}:${r.line}`;
    if (r.fields.length !== names.length) {
      throw new FttlError('bad-input', `${at}: expected ${names.length} columns, found ${r.fields.length}.`);
    }
    const image = r.fields[imageCol]!.trim();
    const levelText = r.fields[levelCol]!.trim();
    if (image === '') throw new FttlError('bad-input', `${at}: the image name is empty.`);
    if (!/^\d{1,9}$/.test(levelText)) {
      throw new FttlError('bad-input', `${at}: level "${levelText}" is not a non-negative integer.`);
    }
    // CSVs written on Windows use backslashes; on POSIX they would never match a file.
    const portable = sep === '/' ? image.replace(/\\/g, '/') : image;
    const wanted = isAbsolute(portable) ? portable : resolve(imageRoot, portable);
    rows.push({ line: r.line, image, level: String(Number(levelText)), wanted });
  }

  // Pass 2: find the files, listing each directory once (cheap for 35k-row Kaggle CSVs).
  const dirs = new DirIndex();
  const found = await mapLimit(rows, STAT_CONCURRENCY, async (row) => {
    const path = await dirs.find(row.wanted);
    return path ? { path, stats: await statOrNull(path) } : undefined;
  });

  const classes = opts.classes
    ? [...opts.classes]
    : [...new Set(rows.map((r) => r.level))].sort((a, b) => Number(a) - Number(b));
  const labelOf = (row: Row): number => {
    const label = opts.classes ? matchClass(row.level, classes) : classes.indexOf(row.level);
    if (label < 0) {
      throw new FttlError(
        'bad-input',
        `${csvPath}:${row.line}: level "${row.level}" is not one of the training classes (${classes.join(', ')}).`,
      );
    }
    return label;
  };

  const items: ImageItem[] = [];
  const skipped: SkippedFile[] = [];
  const seen = new Map<string, Row>();
  const named = new Set<number>(); // classes some row names: each must end up with an image
  rows.forEach((row, i) => {
    const at = `${csvPath}:${row.line}`;
    const label = labelOf(row);
    named.add(label);
    const hit = found[i];
    if (!hit || !hit.stats || !hit.stats.isFile()) {
      const tried = extname(row.wanted) === '' ? ` (also tried ${IMAGE_EXTENSIONS.join(' ')})` : '';
      skipped.push({ path: row.wanted, reason: `${at}: file not found${tried}` });
      return;
    }
    const prev = seen.get(hit.path);
    if (prev) {
      if (prev.level !== row.level) {
        throw new FttlError(
          'bad-input',
          `${at}: "${row.image}" is listed again with level ${row.level} (line ${prev.line} says ${prev.level}).`,
        );
      }
      skipped.push({ path: hit.path, reason: `${at}: duplicate of line ${prev.line}` });
      return;
    }
    seen.set(hit.path, row);
    if (hit.stats.size === 0) skipped.push({ path: hit.path, reason: `${at}: empty file (0 bytes)` });
    else items.push({ path: hit.path, label });
  });

  if (items.length === 0) {
    const why = skipped.length > 0 ? ` (${skipped.length} skipped, e.g. ${skipped[0]!.reason})` : '';
    throw new FttlError('bad-input', `No usable images listed in ${csvPath}${why}.`);
  }
  for (const label of [...named].sort((a, b) => a - b)) {
    if (!items.some((it) => it.label === label)) {
      throw emptyClassError(classes[label]!, csvPath, ` (every row of level ${classes[label]} was skipped)`);
    }
  }
  sortItems(items);
  return { root: imageRoot, classes, items, skipped };
}

/**
 * Loads a dataset from a folder of class sub-folders (scanFolder) or a `.csv` label file whose
 * image paths are relative to the CSV's own folder (scanCsv).
 */
export async function loadDataset(source: string, opts: ScanOptions = {}): Promise<Dataset> {
  const abs = resolve(source);
  const s = await statOrNull(abs);
  if (!s) throw new FttlError('bad-input', `Dataset not found: ${abs}`);
  if (s.isDirectory()) return scanFolder(abs, opts);
  if (s.isFile() && extname(abs).toLowerCase() === '.csv') return scanCsv(abs, dirname(abs), opts);
  throw new FttlError('bad-input', `${abs}: expected a folder of class sub-folders or a .csv label file.`);
}

/**
 * A cheap, stable fingerprint of a dataset, for cache keys (e.g. extracted features).
 * Covers: the class list (order included) and, per item, its path relative to `ds.root`
 * ('/'-separated), its label, file size and modification time (whole ms). So relabelling,
 * adding/removing/replacing a file or touching it changes the fingerprint; moving the whole
 * dataset folder elsewhere does not. Not covered: file content edited in place with size and
 * mtime restored, and `skipped` files. Stats the files now (synchronously; a few µs each).
 * A file that vanished since the scan → FttlError('bad-input').
 */
export function fingerprint(ds: Dataset): string {
  const h = createHash('sha256');
  h.update(`fttl-dataset-v1\n${JSON.stringify(ds.classes)}\n`);
  for (const it of ds.items) {
    let s: Stats;
    try {
      s = statSync(it.path);
    } catch (err) {
      throw new FttlError('bad-input', `${it.path}: no longer readable since the dataset was scanned`, { cause: err });
    }
    const rel = relative(ds.root, it.path).split(sep).join('/');
    h.update(`${rel}\t${it.label}\t${s.size}\t${Math.trunc(s.mtimeMs)}\n`);
  }
  return h.digest('hex').slice(0, 32);
}

/** Number of items per class, indexed like `ds.classes`. */
export function countsByClass(ds: Pick<Dataset, 'classes' | 'items'>): number[] {
  const counts = new Array<number>(ds.classes.length).fill(0);
  for (const it of ds.items) counts[it.label]!++;
  return counts;
}

/** Throws FttlError('bad-input', `Class "<name>" has no usable images in <where>`) for the first empty class. */
export function assertNoEmptyClass(classes: string[], items: ImageItem[], where: string): void {
  const counts = countsByClass({ classes, items });
  const empty = counts.findIndex((c) => c === 0);
  if (empty >= 0) throw emptyClassError(classes[empty]!, where, '');
}

function emptyClassError(name: string, where: string, detail: string): FttlError {
  return new FttlError('bad-input', `Class "${name}" has no usable images in ${where}${detail}`);
}

function sortItems(items: ImageItem[]): void {
  items.sort((a, b) => a.label - b.label || naturalCompare(a.path, b.path));
}

async function statOrNull(path: string): Promise<Stats | null> {
  try {
    return await stat(path);
  } catch {
    return null;
  }
}

async function expectKind(path: string, kind: 'folder' | 'file'): Promise<void> {
  const s = await statOrNull(path);
  if (!s) throw new FttlError('bad-input', `${kind === 'folder' ? 'Folder' : 'File'} not found: ${path}`);
  if (kind === 'folder' ? !s.isDirectory() : !s.isFile()) {
    throw new FttlError('bad-input', `${path} is not a ${kind}.`);
  }
}

async function readdirOrFail(dir: string): Promise<Dirent[]> {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch (err) {
    throw new FttlError('bad-input', `${dir}: cannot list folder (${(err as Error).message})`, { cause: err });
  }
}

// Symlinked class folders count as folders.
async function isDirEntry(parent: string, e: Dirent): Promise<boolean> {
  if (e.isDirectory()) return true;
  if (!e.isSymbolicLink()) return false;
  return (await statOrNull(join(parent, e.name)))?.isDirectory() ?? false;
}

async function hasSubfolders(dir: string): Promise<boolean> {
  for (const e of await readdirOrFail(dir)) if (!isHidden(e.name) && (await isDirEntry(dir, e))) return true;
  return false;
}

/**
 * Resolves CSV image values to files by listing each directory once rather than probing up to
 * 1 + |IMAGE_EXTENSIONS| names per row.
 */
class DirIndex {
  private readonly listings = new Map<string, Promise<Set<string> | null>>();

  /** The existing file for `wanted` (exact name, else `wanted` + an image extension), or undefined. */
  async find(wanted: string): Promise<string | undefined> {
    const dir = dirname(wanted);
    const base = basename(wanted);
    const names = await this.list(dir);
    if (!names) return undefined;
    if (names.has(base)) return wanted;
    // Extensions in IMAGE_EXTENSIONS order, each as written in lower or upper case.
    for (const ext of IMAGE_EXTENSIONS) {
      for (const cased of [ext, ext.toUpperCase()]) {
        if (names.has(base + cased)) return join(dir, base + cased);
      }
    }
    return undefined;
  }

  private list(dir: string): Promise<Set<string> | null> {
    let p = this.listings.get(dir);
    if (!p) {
      p = readdir(dir).then(
        (names) => new Set(names),
        () => null,
      );
      this.listings.set(dir, p);
    }
    return p;
  }
}
