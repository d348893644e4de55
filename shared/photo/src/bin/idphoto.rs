//! `idphoto`: the photo engine from the command line. A door, not a room:
//! argument parsing and printing here, everything else in the library.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use photo::{Engine, Profile};

const USAGE: &str = "usage:
  idphoto standardize IN -o OUT [--report R.json] [--profile blue|white|grey]
  idphoto check IN [--profile P]
  idphoto batch DIR -o OUTDIR [--profile P]
  idphoto compare A B
  idphoto eval MANIFEST.csv [--split all|dev|holdout] [--margins OUT.txt]
               [--variant original|mirror|jpeg35]
  idphoto sheet DIR -o SHEET.png [--profile P]
  idphoto bench [--runs N] [--mode photo|card] [--json OUT.json] FILES...
  idphoto card IN [--reveal yes]
  idphoto matbench DIR [-o SHEET.png] [--grid full|quick]";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("idphoto: {e}");
            ExitCode::from(2)
        }
    }
}

type Res<T> = Result<T, String>;

/// Positional arguments and `--flag value` options.
struct Args {
    positional: Vec<String>,
    options: BTreeMap<String, String>,
}

fn parse(args: &[String], with_value: &[&str]) -> Res<Args> {
    let mut positional = Vec::new();
    let mut options = BTreeMap::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if let Some(name) = a
            .strip_prefix("--")
            .or_else(|| a.strip_prefix('-').filter(|n| n.len() == 1))
        {
            if !with_value.contains(&name) {
                return Err(format!("unknown option {a}\n{USAGE}"));
            }
            let v = it.next().ok_or_else(|| format!("{a} needs a value"))?;
            options.insert(name.to_string(), v.clone());
        } else {
            positional.push(a.clone());
        }
    }
    Ok(Args {
        positional,
        options,
    })
}

fn profile(a: &Args) -> Res<Profile> {
    match a.options.get("profile") {
        None => Ok(Profile::default()),
        Some(p) => {
            Profile::by_name(p).ok_or_else(|| format!("unknown profile {p} (blue, white, grey)"))
        }
    }
}

fn read(p: &str) -> Res<Vec<u8>> {
    std::fs::read(p).map_err(|e| format!("{p}: {e}"))
}

fn write(p: &Path, bytes: &[u8]) -> Res<()> {
    std::fs::write(p, bytes).map_err(|e| format!("{}: {e}", p.display()))
}

fn engine() -> Res<Engine> {
    Engine::load().map_err(|e| e.to_string())
}

fn run(args: &[String]) -> Res<ExitCode> {
    let Some((cmd, rest)) = args.split_first() else {
        return Err(USAGE.into());
    };
    match cmd.as_str() {
        "standardize" => {
            let a = parse(rest, &["o", "report", "profile"])?;
            let [input] = a.positional.as_slice() else {
                return Err(USAGE.into());
            };
            let out = a.options.get("o").ok_or("standardize needs -o OUT")?;
            let outcome = engine()?
                .standardize(&read(input)?, &profile(&a)?)
                .map_err(|e| e.to_string())?;
            if let Some(r) = a.options.get("report") {
                write(Path::new(r), outcome.report.to_json().as_bytes())?;
            }
            print_verdict(input, &outcome.report);
            match outcome.jpeg {
                Some(j) => {
                    write(Path::new(out), &j)?;
                    Ok(ExitCode::SUCCESS)
                }
                None => Ok(ExitCode::from(1)),
            }
        }
        "check" => {
            let a = parse(rest, &["profile"])?;
            let [input] = a.positional.as_slice() else {
                return Err(USAGE.into());
            };
            let outcome = engine()?
                .standardize(&read(input)?, &profile(&a)?)
                .map_err(|e| e.to_string())?;
            println!("{}", outcome.report.to_json());
            Ok(if outcome.passed() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        "batch" => batch(rest),
        "compare" => {
            let [a, b] = rest else {
                return Err(USAGE.into());
            };
            let e = engine()?;
            let da = e
                .describe_portrait(&read(a)?)
                .map_err(|e| e.to_string())?
                .ok_or(format!("{a}: no single face"))?;
            let db = e
                .describe_portrait(&read(b)?)
                .map_err(|e| e.to_string())?
                .ok_or(format!("{b}: no single face"))?;
            // The submission's verdict: within the uncertain band the
            // reviewer compares by eye.
            let verdict = domain::face::FaceMatch::compare(&da.0, &db.0);
            println!("distance {:.3} → {verdict:?}", da.distance(&db));
            Ok(ExitCode::SUCCESS)
        }
        "eval" => {
            let a = parse(rest, &["split", "margins", "variant"])?;
            let [manifest] = a.positional.as_slice() else {
                return Err(USAGE.into());
            };
            let split = match a.options.get("split") {
                None => photo::eval::Split::All,
                Some(v) => photo::eval::Split::parse(v)
                    .ok_or_else(|| format!("unknown split {v} (all, dev, holdout)"))?,
            };
            let variant = match a.options.get("variant") {
                None => photo::eval::Variant::Original,
                Some(v) => photo::eval::Variant::parse(v)
                    .ok_or_else(|| format!("unknown variant {v} (original, mirror, jpeg35)"))?,
            };
            let s = photo::eval::run(&engine()?, Path::new(manifest), split, variant)
                .map_err(|e| e.to_string())?;
            print!("{}", s.render());
            if let Some(m) = a.options.get("margins") {
                write(Path::new(m), s.render_margins().as_bytes())?;
            }
            Ok(if s.meets_targets() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        "bench" => bench(rest),
        "card" => card(rest),
        "sheet" => sheet(rest),
        "matbench" => matbench(rest),
        _ => Err(USAGE.into()),
    }
}

fn print_verdict(name: &str, r: &photo::Report) {
    let reasons: Vec<&str> = r.reasons.iter().map(|x| x.code.code()).collect();
    let flags: Vec<&str> = r.review_flags.iter().map(|x| x.check).collect();
    println!(
        "{name}: {}{}{}",
        if r.passed { "PASS" } else { "FAIL " },
        reasons.join(","),
        if flags.is_empty() {
            String::new()
        } else {
            format!("  (review: {})", flags.join(","))
        }
    );
}

fn batch(rest: &[String]) -> Res<ExitCode> {
    let a = parse(rest, &["o", "profile"])?;
    let [dir] = a.positional.as_slice() else {
        return Err(USAGE.into());
    };
    let out = PathBuf::from(a.options.get("o").ok_or("batch needs -o OUTDIR")?);
    std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    let files = photos_in(dir)?;
    let e = engine()?;
    let p = profile(&a)?;
    let mut rows = Vec::new();
    for (i, f) in files.iter().enumerate() {
        let name = f
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        let done = (i + 1) * 30 / files.len().max(1);
        eprint!(
            "\r[{}{}] {}/{} {:<40}",
            "#".repeat(done),
            ".".repeat(30 - done),
            i + 1,
            files.len(),
            name
        );
        let outcome = e
            .standardize(&read(&f.to_string_lossy())?, &p)
            .map_err(|e| e.to_string())?;
        let stem = f
            .file_stem()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        write(
            &out.join(format!("{stem}.report.json")),
            outcome.report.to_json().as_bytes(),
        )?;
        if let Some(j) = &outcome.jpeg {
            write(&out.join(format!("{stem}.jpg")), j)?;
        }
        rows.push((name, outcome.report));
    }
    eprintln!();
    let passed = rows.iter().filter(|(_, r)| r.passed).count();
    println!("{:<44} {:<6} reasons / review flags", "file", "result");
    for (name, r) in &rows {
        let reasons: Vec<&str> = r.reasons.iter().map(|x| x.code.code()).collect();
        let flags: Vec<&str> = r.review_flags.iter().map(|x| x.check).collect();
        println!(
            "{:<44} {:<6} {}{}",
            name,
            if r.passed { "pass" } else { "FAIL" },
            reasons.join(","),
            if flags.is_empty() {
                String::new()
            } else {
                format!(" / {}", flags.join(","))
            }
        );
    }
    let mut by_reason: BTreeMap<&str, usize> = BTreeMap::new();
    for (_, r) in &rows {
        for x in &r.reasons {
            *by_reason.entry(x.code.code()).or_default() += 1;
        }
    }
    println!(
        "\n{passed} of {} passed; outputs and reports in {}",
        rows.len(),
        out.display()
    );
    for (code, n) in by_reason {
        println!("  {code:<28} {n}");
    }
    Ok(ExitCode::SUCCESS)
}

/// The JPEG and PNG files of a folder, by name.
fn photos_in(dir: &str) -> Res<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("{dir}: {e}"))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension().is_some_and(|x| {
                ["jpg", "jpeg", "png"].contains(&x.to_string_lossy().to_lowercase().as_str())
            })
        })
        .collect();
    files.sort();
    Ok(files)
}

fn sheet(rest: &[String]) -> Res<ExitCode> {
    let a = parse(rest, &["o", "profile"])?;
    let [dir] = a.positional.as_slice() else {
        return Err(USAGE.into());
    };
    let out = a.options.get("o").ok_or("sheet needs -o SHEET.png")?;
    let (e, p) = (engine()?, profile(&a)?);
    let mut made = Vec::new();
    for f in photos_in(dir)? {
        let bytes = read(&f.to_string_lossy())?;
        let outcome = e.standardize(&bytes, &p).map_err(|e| e.to_string())?;
        let input = photo::decode::decode(&bytes, &Default::default())
            .map(|d| d.image)
            .unwrap_or_else(|_| image::RgbImage::from_pixel(48, 64, image::Rgb([200; 3])));
        let output = match &outcome.jpeg {
            Some(j) => Some(
                image::load_from_memory(j)
                    .map_err(|e| e.to_string())?
                    .into_rgb8(),
            ),
            None => None,
        };
        let name = f
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        made.push((name, input, output, outcome.report));
    }
    save_sheet(&made, out)?;
    println!("{} photos on {out}", made.len());
    Ok(ExitCode::SUCCESS)
}

/// One contact-sheet cell's content: name, input, output, report.
type Shown = (
    String,
    image::RgbImage,
    Option<image::RgbImage>,
    photo::Report,
);

fn save_sheet(made: &[Shown], out: &str) -> Res<()> {
    let entries: Vec<photo::sheet::Entry> = made
        .iter()
        .map(|(name, input, output, report)| photo::sheet::Entry {
            name,
            input,
            output: output.as_ref(),
            report,
        })
        .collect();
    photo::sheet::render(&entries)
        .save(out)
        .map_err(|e| format!("{out}: {e}"))
}

/// `idphoto card IN`: what the ID-card reader reads, as JSON; names and numbers masked unless
/// `--reveal yes` (they are personal data, and terminals are logged).
fn card(rest: &[String]) -> Res<ExitCode> {
    let a = parse(rest, &["reveal"])?;
    let [input] = a.positional.as_slice() else {
        return Err(USAGE.into());
    };
    let reveal = a.options.get("reveal").is_some_and(|v| v == "yes");
    let reading = engine()?
        .read_id_card(&read(input)?)
        .map_err(|e| e.to_string())?;
    let mut fields = reading.fields.clone();
    if !reveal {
        if let Some(name) = fields.name.as_mut() {
            name.value = domain::mask_name(&name.value);
        }
        if let Some(number) = fields.id_number.as_mut() {
            number.value = domain::IdNumber::parse_stored(&number.value)
                .map_or_else(|_| "*".repeat(18), |id| id.masked());
        }
    }
    let json = serde_json::json!({
        "side": reading.side,
        "problem": reading.problem.map(|p| serde_json::json!({
            "code": p,
            "message_zh": p.message_zh(),
            "message_en": p.message_en(),
        })),
        "fields": fields,
        "face": reading.face.is_some(),
        "corners": reading.corners,
        "timings_ms": reading.timings,
    });
    println!(
        "{}",
        serde_json::to_string_pretty(&json).map_err(|e| e.to_string())?
    );
    Ok(if reading.problem.is_none() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn bench(rest: &[String]) -> Res<ExitCode> {
    let a = parse(rest, &["runs", "mode", "json"])?;
    let runs: usize = a
        .options
        .get("runs")
        .map_or(Ok(20), |r| r.parse().map_err(|_| "bad --runs"))?;
    let t0 = Instant::now();
    let e = engine()?;
    let load_ms = t0.elapsed().as_secs_f64() * 1e3;
    println!("models loaded in {load_ms:.0} ms");
    match a.options.get("mode").map(String::as_str) {
        None | Some("photo") => {}
        Some("card") => return bench_card(&e, &a.positional, runs),
        Some(m) => return Err(format!("unknown mode {m} (photo, card)")),
    }
    let p = Profile::default();
    let mut summary = serde_json::Map::new();
    for f in &a.positional {
        let bytes = read(f)?;
        let mut stages: BTreeMap<&'static str, Vec<f64>> = BTreeMap::new();
        let mut order: Vec<&'static str> = Vec::new();
        let mut totals = Vec::new();
        let mut dims = (0, 0);
        let mut passed = false;
        for _ in 0..runs {
            let t = Instant::now();
            let o = e.standardize(&bytes, &p).map_err(|e| e.to_string())?;
            totals.push(t.elapsed().as_secs_f64() * 1e3);
            dims = (o.report.input.width, o.report.input.height);
            passed = o.report.passed;
            for (s, ms) in o.timings.stages {
                if !order.contains(&s) {
                    order.push(s);
                }
                stages.entry(s).or_default().push(ms);
            }
        }
        println!(
            "{f}: {}×{} ({:.1} MP), {runs} runs",
            dims.0,
            dims.1,
            (dims.0 * dims.1) as f64 / 1e6
        );
        let (p50s, total) = print_stages(&order, &mut stages, &mut totals);
        // Stages as [name, ms] pairs, in the order the engine runs them.
        let stages: Vec<_> = order
            .iter()
            .map(|s| serde_json::json!([s, p50s[s]]))
            .collect();
        summary.insert(
            f.clone(),
            serde_json::json!({"stages": stages, "total_p50": total, "runs": runs, "passed": passed}),
        );
    }
    let peak_mb = peak_rss_kb() / 1024;
    println!("peak RSS {peak_mb} MB");
    // For scripts/bench.sh, which sets these beside the Python pipeline's (same shape).
    if let Some(out) = a.options.get("json") {
        let json =
            serde_json::json!({"load_ms": load_ms, "files": summary, "peak_rss_mb": peak_mb});
        std::fs::write(out, json.to_string()).map_err(|e| format!("{out}: {e}"))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Each stage's p50 and p95 in `order`, then the total's; returns the p50s, by stage and of
/// the total.
fn print_stages(
    order: &[&'static str],
    stages: &mut BTreeMap<&'static str, Vec<f64>>,
    totals: &mut [f64],
) -> (BTreeMap<&'static str, f64>, f64) {
    let mut p50s = BTreeMap::new();
    for s in order {
        let (p50, p95) = percentiles(stages.get_mut(s).expect("stage recorded"));
        println!("  {s:<10} p50 {p50:7.1} ms  p95 {p95:7.1} ms");
        p50s.insert(*s, p50);
    }
    let (p50, p95) = percentiles(totals);
    println!("  {:<10} p50 {p50:7.1} ms  p95 {p95:7.1} ms", "total");
    (p50s, p50)
}

/// The card reader's stages, per file (the OCR models load on the first card: a warm-up
/// read comes first and is not counted).
fn bench_card(e: &Engine, files: &[String], runs: usize) -> Res<ExitCode> {
    for f in files {
        let bytes = read(f)?;
        let t = Instant::now();
        e.read_id_card(&bytes).map_err(|e| e.to_string())?;
        println!(
            "{f}: first read (OCR models loaded) {:.0} ms",
            t.elapsed().as_secs_f64() * 1e3
        );
        let mut stages: BTreeMap<&'static str, Vec<f64>> = BTreeMap::new();
        let mut totals = Vec::new();
        for _ in 0..runs {
            let t = Instant::now();
            let r = e.read_id_card(&bytes).map_err(|e| e.to_string())?;
            totals.push(t.elapsed().as_secs_f64() * 1e3);
            let s = &r.timings;
            for (name, ms) in [
                ("decode", s.decode_ms),
                ("locate", s.locate_ms),
                ("rectify", s.rectify_ms),
                ("ocr", s.ocr_ms),
                ("  detect", s.detect_ms),
                ("  recognise", s.recognise_ms),
                ("face", s.face_ms),
            ] {
                stages.entry(name).or_default().push(ms);
            }
        }
        println!("{f}: {runs} runs");
        let order = [
            "decode",
            "locate",
            "rectify",
            "ocr",
            "  detect",
            "  recognise",
            "face",
        ];
        print_stages(&order, &mut stages, &mut totals);
    }
    println!("peak RSS {} MB", peak_rss_kb() / 1024);
    Ok(ExitCode::SUCCESS)
}

fn percentiles(v: &mut [f64]) -> (f64, f64) {
    v.sort_by(f64::total_cmp);
    let at = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
    (at(0.5), at(0.95))
}

/// High-water mark of resident memory (Linux), in KiB; 0 elsewhere.
fn peak_rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(|l| l.to_string())
        })
        .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        .unwrap_or(0)
}

/// The matting benchmark over the cut-outs (`*.png`, RGBA) and backgrounds
/// (`bg_*.jpg`) in DIR; `--grid quick` runs one scale and framing.
fn matbench(rest: &[String]) -> Res<ExitCode> {
    use photo::matbench::{self, Case, Summary};
    let a = parse(rest, &["o", "grid"])?;
    let [dir] = a.positional.as_slice() else {
        return Err(USAGE.into());
    };
    let (mut cuts, mut bgs) = (Vec::new(), Vec::new());
    for f in photos_in(dir)? {
        let name = f
            .file_stem()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        let img = image::open(&f).map_err(|e| format!("{}: {e}", f.display()))?;
        if name.starts_with("bg_") {
            bgs.push((name, img.into_rgb8()));
        } else {
            cuts.push((name, img.into_rgba8()));
        }
    }
    let grid = match a.options.get("grid").map(String::as_str) {
        None | Some("full") => matbench::full_grid(),
        Some("quick") => vec![Case {
            scale: 1.6,
            left: 0.075,
            top: 0.0,
        }],
        Some(g) => return Err(format!("unknown grid {g} (full, quick)")),
    };
    let (e, p) = (engine()?, Profile::blue());
    let (mut results, mut shown) = (Vec::new(), Vec::new());
    for (cn, cut) in &cuts {
        for (bn, bg) in &bgs {
            for case in &grid {
                let name = format!("{cn}/{bn}/{}x/{}/{}", case.scale, case.left, case.top);
                let run = matbench::run_case(&e, &p, cut, bg, case)?;
                let m = run.measured;
                let flags: Vec<&str> = run
                    .report
                    .checks
                    .iter()
                    .filter(|c| c.status == photo::report::Status::Review)
                    .map(|c| c.check)
                    .collect();
                println!(
                    "{name:<52} edge ΔE {:>5.2} p95 {:>5.2} stray {:>6.3}‰ person {:>4.2} refused [{}] review [{}]",
                    m.edge_mean,
                    m.edge_p95,
                    m.stray_permille,
                    m.person_mean,
                    m.refused.join(","),
                    flags.join(",")
                );
                shown.push((name.clone(), run.photo, run.output, run.report));
                results.push((name, m));
            }
        }
    }
    print!("{}", Summary::of(&results).render());
    for (bn, _) in &bgs {
        let one: Vec<_> = results
            .iter()
            .filter(|(name, _)| name.split('/').nth(1) == Some(bn.as_str()))
            .cloned()
            .collect();
        print!("\n{bn}: {}", Summary::of(&one).render());
    }
    if let Some(out) = a.options.get("o") {
        save_sheet(&shown, out)?;
    }
    Ok(ExitCode::SUCCESS)
}
