use std::time::Instant;
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let case = quarry::engine::Case::open(std::path::Path::new(&args[1])).unwrap();
    for f in &args[2..] {
        let sql = std::fs::read_to_string(f).unwrap();
        let mut best = f64::MAX;
        let mut prep_best = f64::MAX;
        for _ in 0..5 {
            let t = Instant::now();
            let mut stmt = case.conn().prepare(&sql).unwrap();
            prep_best = prep_best.min(t.elapsed().as_secs_f64());
            let mut r = stmt.query([]).unwrap();
            while r.next().unwrap().is_some() {}
            best = best.min(t.elapsed().as_secs_f64());
        }
        println!("{f}: prepare {:.1} ms, total {:.1} ms", prep_best * 1e3, best * 1e3);
    }
}
