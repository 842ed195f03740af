//! How a backend balances: the `balance` and `hash-type` lines, typed.

/// A `balance` line's algorithm and arguments.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Balance {
    /// `roundrobin`: weighted, dynamic (weights change on the fly).
    RoundRobin,
    /// `static-rr`: weighted, static.
    StaticRr,
    /// `leastconn`.
    LeastConn,
    /// `first`: the first server (by id) with a free connection slot.
    First,
    /// `source`: hash of the client address.
    Source,
    /// `uri [whole] [len N] [depth N] [path-only]`.
    Uri(UriOptions),
    /// `url_param NAME [check_post [MAX]]`.
    UrlParam {
        /// The parameter's name.
        name: String,
        /// `check_post`: also look in the body, up to this many bytes
        /// (`None` when not set).
        check_post: Option<u32>,
    },
    /// `hdr(NAME) [use_domain_only]`.
    Hdr {
        /// The header's name.
        name: String,
        /// Hash only the domain part of a host name.
        use_domain_only: bool,
    },
    /// `rdp-cookie[(NAME)]` (default name `mstshash`).
    RdpCookie {
        /// The cookie's name.
        name: String,
    },
    /// `random[(DRAWS)]` (default 2 draws).
    Random {
        /// Number of draws; the least loaded one wins.
        draws: u32,
    },
}

/// Arguments of `balance uri`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct UriOptions {
    /// `whole`: hash the query string too.
    pub whole: bool,
    /// `len N`: hash at most N characters (0 = no limit).
    pub len: u32,
    /// `depth N`: hash at most N directories (0 = no limit).
    pub depth: u32,
    /// `path-only`: ignore scheme and authority of an absolute URI.
    pub path_only: bool,
}

/// `hash-type` map method.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum HashMethod {
    /// `map-based` (the default): static, hash modulo the total weight.
    #[default]
    MapBased,
    /// `consistent`: a tree of points per server.
    Consistent,
}

/// `hash-type` hash function.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum HashFunction {
    /// `sdbm` (the default).
    #[default]
    Sdbm,
    /// `djb2`.
    Djb2,
    /// `wt6`.
    Wt6,
    /// `crc32`.
    Crc32,
    /// `none`: the key is already a number.
    None,
}

/// A `hash-type` line: `hash-type <method> [<function>] [avalanche]`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct HashType {
    /// Map method.
    pub method: HashMethod,
    /// Hash function.
    pub function: HashFunction,
    /// `avalanche`: mix the hash once more (HAProxy's `full_hash`).
    pub avalanche: bool,
}

/// Everything that decides a backend's balancing, besides its servers.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct BalancerConfig {
    /// The `balance` line.
    pub balance: Balance,
    /// The `hash-type` line.
    pub hash_type: HashType,
    /// `option allbackups`: use every backup server, not only the first.
    pub allbackups: bool,
    /// `hash-balance-factor` (0 = off).
    pub hash_balance_factor: u32,
}

impl BalancerConfig {
    /// A configuration with this algorithm and HAProxy's defaults otherwise.
    pub fn new(balance: Balance) -> Self {
        BalancerConfig {
            balance,
            hash_type: HashType::default(),
            allbackups: false,
            hash_balance_factor: 0,
        }
    }

    /// Parses what follows `balance` (`"uri len 12"`).
    pub fn from_balance(args: &str) -> Result<Self, crate::Error> {
        Ok(BalancerConfig::new(args.parse()?))
    }

    /// Sets the hash type.
    pub fn hash_type(mut self, hash_type: HashType) -> Self {
        self.hash_type = hash_type;
        self
    }

    /// Sets `option allbackups`.
    pub fn allbackups(mut self, on: bool) -> Self {
        self.allbackups = on;
        self
    }
}
