//! Rules for volumes and CPU/memory, shared by the Cluster's defaults and every service.

use crate::problem::Problems;
use crate::spec::resources::{ResourceList, Resources};
use crate::spec::volume::{VolumeSpec, VolumeType};

const GIB: i128 = 1 << 30;

/// Checks the fields of a volume that are set; with `need_size`, a missing size is a problem.
pub(crate) fn check_volume(out: &mut Problems, path: &str, volume: &VolumeSpec, need_size: bool) {
    let volume_type = volume.volume_type.unwrap_or(VolumeType::Gp3);
    let size_gib = match &volume.size {
        None => {
            if need_size {
                out.add(
                    &format!("{path}.size"),
                    "no volume size",
                    "set it here or in the Cluster's spec.defaults, e.g. size: 100Gi",
                );
            }
            None
        }
        Some(size) => match size.units() {
            Err(e) => {
                out.add(
                    &format!("{path}.size"),
                    e.to_string(),
                    "write a size such as 100Gi",
                );
                None
            }
            Ok(bytes) if bytes % GIB != 0 => {
                out.add(
                    &format!("{path}.size"),
                    format!("{size} is not a whole number of GiB"),
                    "EBS volumes are sized in GiB, e.g. 100Gi",
                );
                None
            }
            Ok(bytes) => Some(bytes / GIB),
        },
    };
    if let Some(gib) = size_gib {
        let (min, max) = match volume_type {
            VolumeType::Gp2 | VolumeType::Gp3 => (1, 16_384),
            VolumeType::Io1 => (4, 16_384),
            VolumeType::Io2 => (4, 65_536),
            VolumeType::St1 | VolumeType::Sc1 => (125, 16_384),
        };
        if gib < min || gib > max {
            out.add(
                &format!("{path}.size"),
                format!(
                    "{} volumes must be {min}Gi to {max}Gi, got {gib}Gi",
                    volume_type.as_str()
                ),
                "EBS limits each volume type to these sizes; change the size or the type",
            );
        }
    }
    check_iops(out, path, volume, volume_type, size_gib);
    check_throughput(out, path, volume, volume_type);
}

fn check_iops(
    out: &mut Problems,
    path: &str,
    volume: &VolumeSpec,
    volume_type: VolumeType,
    size_gib: Option<i128>,
) {
    let field = format!("{path}.iops");
    let (range, per_gib) = match volume_type {
        VolumeType::Gp3 => ((3_000, 16_000), 500),
        VolumeType::Io1 => ((100, 64_000), 50),
        VolumeType::Io2 => ((100, 256_000), 1_000),
        VolumeType::Gp2 | VolumeType::St1 | VolumeType::Sc1 => {
            if volume.iops.is_some() {
                out.add(
                    &field,
                    format!(
                        "{} volumes do not take provisioned IOPS",
                        volume_type.as_str()
                    ),
                    "remove iops, or use type gp3, io1 or io2",
                );
            }
            return;
        }
    };
    let Some(iops) = volume.iops else {
        if matches!(volume_type, VolumeType::Io1 | VolumeType::Io2) {
            out.add(
                &field,
                format!("{} volumes need iops", volume_type.as_str()),
                "set iops, e.g. iops: 3000",
            );
        }
        return;
    };
    if iops < range.0 || iops > range.1 {
        out.add(
            &field,
            format!(
                "{} IOPS must be {} to {}, got {iops}",
                volume_type.as_str(),
                range.0,
                range.1
            ),
            "EBS limits each volume type to this range",
        );
    } else if let Some(gib) = size_gib.filter(|g| i128::from(iops) > g * per_gib) {
        out.add(
            &field,
            format!(
                "{iops} IOPS is more than {per_gib} per GiB of a {gib}Gi {} volume",
                volume_type.as_str()
            ),
            "lower iops or make the volume larger",
        );
    }
}

fn check_throughput(out: &mut Problems, path: &str, volume: &VolumeSpec, volume_type: VolumeType) {
    let Some(throughput) = volume.throughput else {
        return;
    };
    let field = format!("{path}.throughput");
    if volume_type != VolumeType::Gp3 {
        return out.add(
            &field,
            "only gp3 volumes take a throughput",
            "remove throughput or use type gp3",
        );
    }
    if !(125..=1_000).contains(&throughput) {
        return out.add(
            &field,
            format!("gp3 throughput must be 125 to 1000 MiB/s, got {throughput}"),
            "leave it out for gp3's baseline of 125 MiB/s",
        );
    }
    let iops = volume.iops.unwrap_or(3_000);
    if throughput * 4 > iops {
        out.add(
            &field,
            format!(
                "{throughput} MiB/s needs at least {} IOPS (gp3 allows 0.25 MiB/s per IOPS)",
                throughput * 4
            ),
            "raise iops or lower throughput",
        );
    }
}

/// Checks that quantities parse and that requests do not exceed limits.
pub(crate) fn check_resources(out: &mut Problems, path: &str, resources: &Resources) {
    let parsed = |out: &mut Problems, part: &str, list: Option<&ResourceList>| {
        let list = list?;
        let cpu = list.cpu.as_ref().and_then(|q| match q.milli() {
            Ok(0) => {
                out.add(
                    &format!("{path}.{part}.cpu"),
                    "must be greater than zero",
                    "write CPU as 500m or 2, or leave it out",
                );
                None
            }
            Ok(m) => Some(m),
            Err(e) => {
                out.add(
                    &format!("{path}.{part}.cpu"),
                    e.to_string(),
                    "write CPU as 500m or 2",
                );
                None
            }
        });
        let memory = list.memory.as_ref().and_then(|q| match q.units() {
            Ok(bytes) if bytes < 4 << 20 => {
                out.add(
                    &format!("{path}.{part}.memory"),
                    format!("{q} is less than 4Mi"),
                    "memory is in bytes; write e.g. 512Mi or 4Gi",
                );
                None
            }
            Ok(bytes) => Some(bytes),
            Err(e) => {
                out.add(
                    &format!("{path}.{part}.memory"),
                    e.to_string(),
                    "write memory as 512Mi or 4Gi",
                );
                None
            }
        });
        Some((cpu, memory))
    };
    let requests = parsed(out, "requests", resources.requests.as_ref());
    let limits = parsed(out, "limits", resources.limits.as_ref());
    if let (Some((req_cpu, req_mem)), Some((lim_cpu, lim_mem))) = (requests, limits) {
        if let (Some(r), Some(l)) = (req_cpu, lim_cpu)
            && r > l
        {
            out.add(
                &format!("{path}.requests.cpu"),
                "is more than limits.cpu",
                "lower the request or raise the limit",
            );
        }
        if let (Some(r), Some(l)) = (req_mem, lim_mem)
            && r > l
        {
            out.add(
                &format!("{path}.requests.memory"),
                "is more than limits.memory",
                "lower the request or raise the limit",
            );
        }
    }
}
