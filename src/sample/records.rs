//! The records the generator makes before writing them in each source's native format.

/// A connection seen by a network device (firewall, Zeek sensor, VPC flow log).
#[derive(Debug, Clone)]
pub struct Conn {
    /// Start time, milliseconds since the epoch.
    pub t: i64,
    /// Source address and port.
    pub src: String,
    /// Source port.
    pub sport: u16,
    /// Destination address.
    pub dst: String,
    /// Destination port.
    pub dport: u16,
    /// UDP rather than TCP.
    pub udp: bool,
    /// Bytes the source sent.
    pub sent: u64,
    /// Bytes the destination sent back.
    pub recv: u64,
    /// Allowed (or, for Zeek, established).
    pub allowed: bool,
    /// The URL requested, for web traffic through the firewall.
    pub url: Option<String>,
    /// Application name.
    pub app: &'static str,
    /// Source host name when known.
    pub src_name: Option<String>,
}

/// A Defender for Endpoint network event (DeviceNetworkEvents).
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// Time, milliseconds since the epoch.
    pub t: i64,
    /// Device name.
    pub device: String,
    /// Device id.
    pub device_id: String,
    /// ActionType.
    pub action: &'static str,
    /// Local address.
    pub local_ip: String,
    /// Local port.
    pub local_port: u16,
    /// Remote address.
    pub remote_ip: String,
    /// Remote port.
    pub remote_port: u16,
    /// Remote URL (host name), possibly empty.
    pub remote_url: String,
    /// Initiating process file name.
    pub process: &'static str,
    /// Its command line.
    pub command_line: String,
}

/// A DNS query answered by the domain controller (DnsEvents) or seen by Zeek.
#[derive(Debug, Clone)]
pub struct Dns {
    /// Time, milliseconds since the epoch.
    pub t: i64,
    /// Client address.
    pub client_ip: String,
    /// Client host name.
    pub client_name: String,
    /// Queried name.
    pub name: String,
    /// Record type (A, AAAA, ...).
    pub qtype: &'static str,
    /// Answer address, empty for NXDOMAIN.
    pub answer: String,
}

/// A Sysmon event 3 (network connection) from a server.
#[derive(Debug, Clone)]
pub struct Sysmon {
    /// Time, milliseconds since the epoch.
    pub t: i64,
    /// Computer name.
    pub computer: String,
    /// Process image path.
    pub image: &'static str,
    /// Process id.
    pub pid: u32,
    /// Source address and port.
    pub src_ip: String,
    /// Source port.
    pub src_port: u16,
    /// Destination address and port.
    pub dst_ip: String,
    /// Destination port.
    pub dst_port: u16,
    /// Record number.
    pub record: u64,
}

/// An Azure VM connection summary (VMConnection).
#[derive(Debug, Clone)]
pub struct VmConn {
    /// Time, milliseconds since the epoch.
    pub t: i64,
    /// VM name.
    pub computer: &'static str,
    /// `outbound` or `inbound`.
    pub direction: &'static str,
    /// Source address.
    pub src: String,
    /// Destination address.
    pub dst: String,
    /// Destination port.
    pub dport: u16,
    /// Bytes sent and received by the VM.
    pub sent: u64,
    /// Bytes received by the VM.
    pub recv: u64,
    /// Process name on the VM.
    pub process: &'static str,
}

/// A threat-intelligence indicator.
#[derive(Debug, Clone)]
pub struct Indicator {
    /// When the feed delivered it, milliseconds since the epoch.
    pub t: i64,
    /// Indicator id.
    pub id: String,
    /// Threat type.
    pub threat: &'static str,
    /// Confidence 0-100.
    pub confidence: u8,
    /// IP address indicator.
    pub ip: Option<&'static str>,
    /// Domain indicator.
    pub domain: Option<&'static str>,
    /// Description.
    pub description: &'static str,
    /// Which file carries it: the CSV feed or the STIX bundle.
    pub stix: bool,
}

/// Everything the generator produced, in time order per source after `sort`.
#[derive(Debug, Default)]
pub struct DataSet {
    /// Perimeter firewall connections (CEF).
    pub firewall: Vec<Conn>,
    /// Internal connections seen by the Zeek sensor.
    pub zeek: Vec<Conn>,
    /// DNS queries of the lab segment seen by Zeek.
    pub zeek_dns: Vec<Dns>,
    /// Defender network events.
    pub endpoint: Vec<Endpoint>,
    /// DNS server queries.
    pub dns: Vec<Dns>,
    /// Sysmon network events.
    pub sysmon: Vec<Sysmon>,
    /// AWS VPC flows.
    pub vpc: Vec<Conn>,
    /// Azure VM connections.
    pub vm: Vec<VmConn>,
    /// Threat-intelligence indicators.
    pub indicators: Vec<Indicator>,
}

impl DataSet {
    /// Sorts every source by time (stable, so equal times keep their order).
    pub fn sort(&mut self) {
        self.firewall.sort_by_key(|c| c.t);
        self.zeek.sort_by_key(|c| c.t);
        self.zeek_dns.sort_by_key(|d| d.t);
        self.endpoint.sort_by_key(|e| e.t);
        self.dns.sort_by_key(|d| d.t);
        self.sysmon.sort_by_key(|s| s.t);
        self.vpc.sort_by_key(|c| c.t);
        self.vm.sort_by_key(|v| v.t);
        self.indicators.sort_by_key(|i| i.t);
    }
}
