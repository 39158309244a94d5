//! What `/proc` says about a server process: CPU time and peak resident memory.

use std::process::Command;

/// `utime + stime` of a process (all its threads, in clock ticks) from the text of
/// `/proc/<pid>/stat`.
///
/// The second field (the command name) is in parentheses and may itself contain spaces and
/// parentheses, so fields are counted from the last `)`.
pub(crate) fn parse_cpu_ticks(stat: &str) -> Result<u64, String> {
    let after = stat
        .rfind(')')
        .map(|i| &stat[i + 1..])
        .ok_or("no `)` closing the command name")?;
    // After the name: state (field 3), ..., utime (field 14), stime (field 15).
    let fields: Vec<&str> = after.split_ascii_whitespace().collect();
    let field = |n: usize| -> Result<u64, String> {
        fields
            .get(n - 3)
            .ok_or_else(|| format!("field {n} missing"))?
            .parse::<u64>()
            .map_err(|_| format!("field {n} is not a number"))
    };
    Ok(field(14)? + field(15)?)
}

/// `VmHWM` (peak resident set size) in KiB from the text of `/proc/<pid>/status`.
pub(crate) fn parse_vm_hwm_kib(status: &str) -> Result<u64, String> {
    let line = status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .ok_or("no VmHWM line")?;
    let number = line.trim().strip_suffix("kB").unwrap_or(line).trim();
    number
        .parse()
        .map_err(|_| format!("VmHWM `{}` is not a number of kB", line.trim()))
}

/// CPU ticks (utime + stime) used so far by process `pid`.
pub(crate) fn cpu_ticks(pid: u32) -> Result<u64, String> {
    let path = format!("/proc/{pid}/stat");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
    parse_cpu_ticks(&text).map_err(|e| format!("{path}: {e}"))
}

/// Peak resident memory of process `pid`, KiB.
pub(crate) fn vm_hwm_kib(pid: u32) -> Result<u64, String> {
    let path = format!("/proc/{pid}/status");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
    parse_vm_hwm_kib(&text).map_err(|e| format!("{path}: {e}"))
}

/// Clock ticks per second (`getconf CLK_TCK`; 100, Linux's value, when getconf is missing).
pub(crate) fn ticks_per_second() -> u64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .filter(|&t: &u64| t > 0)
        .unwrap_or(100)
}

/// Facts about the machine for the report: cores, CPU model, kernel.
pub(crate) fn machine() -> String {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find_map(|l| l.strip_prefix("model name"))
                .and_then(|rest| rest.split_once(':'))
                .map(|(_, name)| name.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned());
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_owned())
        .unwrap_or_else(|_| "unknown kernel".to_owned());
    format!("{cores} cores (nproc), {model}, Linux {kernel}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_ticks_are_utime_plus_stime() {
        let stat = "4242 (ghl-bench-server) S 1 4242 4242 0 -1 4194560 1234 0 0 0 \
                    731 96 0 0 20 0 1 0 12345 123456789 2048 18446744073709551615";
        assert_eq!(parse_cpu_ticks(stat), Ok(731 + 96));
    }

    #[test]
    fn a_command_name_with_spaces_and_parens_does_not_shift_fields() {
        let stat = "7 (node (bench) x) R 1 7 7 0 -1 0 0 0 0 0 5 6 0 0 20 0 1 0 1 1 1";
        assert_eq!(parse_cpu_ticks(stat), Ok(11));
    }

    #[test]
    fn malformed_stat_is_an_error() {
        assert!(parse_cpu_ticks("").is_err());
        assert!(parse_cpu_ticks("1 (x) S 1 2").is_err());
        assert!(parse_cpu_ticks("1 (x) S 1 1 1 0 -1 0 0 0 0 0 u s").is_err());
    }

    #[test]
    fn vm_hwm_is_read_in_kib() {
        let status = "Name:\tghl-bench-server\nVmPeak:\t   20000 kB\nVmHWM:\t    5120 kB\nVmRSS:\t    4000 kB\n";
        assert_eq!(parse_vm_hwm_kib(status), Ok(5120));
        assert!(parse_vm_hwm_kib("Name:\tx\n").is_err());
        assert!(parse_vm_hwm_kib("VmHWM:\t lots kB\n").is_err());
    }

    #[test]
    fn this_process_can_be_read() {
        let pid = std::process::id();
        assert!(cpu_ticks(pid).is_ok());
        assert!(vm_hwm_kib(pid).is_ok_and(|kib| kib > 0));
    }
}
