//! The AWS regions a spec may name, and "did you mean" suggestions.

/// Every commercial AWS region (the `aws` partition; not GovCloud, not China), as of 2026-11.
pub const SUPPORTED_REGIONS: &[&str] = &[
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "ca-central-1",
    "ca-west-1",
    "mx-central-1",
    "sa-east-1",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eu-central-1",
    "eu-central-2",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "il-central-1",
    "me-south-1",
    "me-central-1",
    "af-south-1",
    "ap-south-1",
    "ap-south-2",
    "ap-east-1",
    "ap-east-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-6",
    "ap-southeast-7",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
];

/// Regions that an account must enable before use (the preflight checks them against
/// `ec2:DescribeRegions`). All others are enabled by default.
pub const OPT_IN_REGIONS: &[&str] = &[
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-south-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-6",
    "ap-southeast-7",
    "ca-west-1",
    "eu-central-2",
    "eu-south-1",
    "eu-south-2",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "mx-central-1",
];

pub fn is_supported(region: &str) -> bool {
    SUPPORTED_REGIONS.contains(&region)
}

pub fn is_opt_in(region: &str) -> bool {
    OPT_IN_REGIONS.contains(&region)
}

/// The supported region closest to `name` by edit distance, if it is close enough to be a
/// plausible typo (at most a quarter of the name's length in edits, between 1 and 3).
pub fn closest_region(name: &str) -> Option<&'static str> {
    closest(name, SUPPORTED_REGIONS.iter().copied())
}

/// The candidate closest to `name` by edit distance, if plausibly a typo of it. Ties go to the
/// earlier candidate.
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (name.chars().count() / 4).clamp(1, 3);
    let lower = name.to_ascii_lowercase();
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        let d = edit_distance(&lower, &c.to_ascii_lowercase());
        if d <= limit && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

/// Edit distance over chars (optimal string alignment: insertions, deletions, substitutions and
/// transpositions of neighbours each count 1, so `cdir` is one edit from `cidr`).
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let w = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * w];
    for i in 0..=a.len() {
        d[i * w] = i;
    }
    for (j, cell) in d.iter_mut().enumerate().take(w) {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[(i - 1) * w + j - 1] + cost)
                .min(d[(i - 1) * w + j] + 1)
                .min(d[i * w + j - 1] + 1);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[(i - 2) * w + j - 2] + 1);
            }
            d[i * w + j] = v;
        }
    }
    d[a.len() * w + b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_regions() {
        assert_eq!(closest_region("us-east-7"), Some("us-east-1"));
        assert_eq!(closest_region("eu-west1"), Some("eu-west-1"));
        assert_eq!(closest_region("US-EAST-1"), Some("us-east-1"));
        assert_eq!(closest_region("mars-north-1"), None);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("cdir", "cidr"), 1);
        assert_eq!(edit_distance("regoins", "regions"), 1);
    }

    #[test]
    fn opt_in_regions_are_supported() {
        for r in OPT_IN_REGIONS {
            assert!(is_supported(r), "{r}");
        }
    }
}
