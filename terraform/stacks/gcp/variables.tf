# Inputs follow docs/contracts.md section 2 (same names on every cloud). GCP-only extras at the end have defaults.

variable "environment" {
  description = "Environment name: prefix of every resource name and the `environment` label."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}$", var.environment))
    error_message = "The environment must match [a-z][a-z0-9-]{1,30}: lowercase letters, digits and hyphens, starting with a letter."
  }
}

variable "region" {
  description = "Google Cloud region, such as us-central1."
  type        = string

  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]+$", var.region))
    error_message = "The region must be a Google Cloud region name such as us-central1 or europe-west4."
  }
}

variable "zones" {
  description = "Zones to spread hosts and HA data stores over, such as [\"us-central1-a\"]; empty picks the region's first zone (first 3 for ha)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for z in var.zones : can(regex("^[a-z]+-[a-z]+[0-9]+-[a-z]$", z))])
    error_message = "Every zone must be a Google Cloud zone name such as us-central1-a."
  }
}

variable "profile" {
  description = "Size profile: single (one host runs everything), standard (separate tiers) or ha (several hosts across zones)."
  type        = string

  validation {
    condition     = contains(["single", "standard", "ha"], var.profile)
    error_message = "The profile must be one of single, standard, ha."
  }
}

variable "os_image" {
  description = "Operating system of every host: debian-12 (debian-cloud/debian-12) or ubuntu-24.04 (ubuntu-os-cloud/ubuntu-2404-lts-amd64)."
  type        = string
  default     = "debian-12"

  validation {
    condition     = contains(["debian-12", "ubuntu-24.04"], var.os_image)
    error_message = "The os_image must be debian-12 or ubuntu-24.04."
  }
}

variable "network_cidr" {
  description = "Address space of the VPC: /20 blocks for the app, worker and data subnets and for private service access (Cloud SQL, Memorystore)."
  type        = string
  default     = "10.40.0.0/16"

  validation {
    condition     = can(cidrhost(var.network_cidr, 0)) && tonumber(split("/", var.network_cidr)[1]) <= 16
    error_message = "The network_cidr must be an IPv4 CIDR block of /16 or larger, such as 10.40.0.0/16."
  }
}

variable "ssh_user" {
  description = "Login user the guest environment creates on every host from the ssh-keys metadata, with sudo."
  type        = string
  default     = "openedx"

  validation {
    condition     = can(regex("^[a-z_][a-z0-9_-]{0,31}$", var.ssh_user)) && !contains(["root"], var.ssh_user)
    error_message = "The ssh_user must be a POSIX user name (lowercase, up to 32 characters) other than root."
  }
}

variable "ssh_public_key" {
  description = "OpenSSH public key text authorised for ssh_user (not a secret)."
  type        = string

  validation {
    condition     = can(regex("^(ssh-(ed25519|rsa)|ecdsa-sha2-nistp(256|384|521)) ", var.ssh_public_key))
    error_message = "The ssh_public_key must be an OpenSSH public key line starting with ssh-ed25519, ssh-rsa or ecdsa-sha2-*."
  }
}

variable "ssh_allowed_cidrs" {
  description = "CIDR blocks allowed to reach port 22 of the bastion, the one host SSH reaches from outside (the others accept SSH from it only); empty: no bastion, nobody from outside the network."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for c in var.ssh_allowed_cidrs : can(cidrhost(c, 0)) && c != "0.0.0.0/0"])
    error_message = "Every ssh_allowed_cidrs entry must be an IPv4 CIDR block such as 203.0.113.0/24 (not 0.0.0.0/0)."
  }
}

variable "app_count" {
  description = "Number of app hosts (LMS, Studio, notes, MFE, nginx)."
  type        = number
  default     = 1

  validation {
    condition     = var.app_count >= 1 && var.app_count <= 20 && floor(var.app_count) == var.app_count
    error_message = "The app_count must be a whole number from 1 to 20."
  }
}

variable "app_machine_type" {
  description = "Compute Engine machine type of the app hosts."
  type        = string
  default     = "e2-standard-4"
}

variable "app_disk_gb" {
  description = "Boot disk size of each app host, in GB."
  type        = number
  default     = 40

  validation {
    condition     = var.app_disk_gb >= 20
    error_message = "The app_disk_gb must be at least 20."
  }
}

variable "worker_count" {
  description = "Number of Celery worker hosts (0 in single: the workers run on the app host)."
  type        = number
  default     = 0

  validation {
    condition     = var.worker_count >= 0 && var.worker_count <= 20 && floor(var.worker_count) == var.worker_count
    error_message = "The worker_count must be a whole number from 0 to 20."
  }
}

variable "worker_machine_type" {
  description = "Compute Engine machine type of the worker hosts."
  type        = string
  default     = "e2-standard-2"
}

variable "worker_disk_gb" {
  description = "Boot disk size of each worker host, in GB."
  type        = number
  default     = 40

  validation {
    condition     = var.worker_disk_gb >= 20
    error_message = "The worker_disk_gb must be at least 20."
  }
}

variable "mysql_mode" {
  description = "managed (Cloud SQL for MySQL, private IP only) or self_hosted (VMs configured by the mysql role)."
  type        = string
  default     = "self_hosted"

  validation {
    condition     = contains(["managed", "self_hosted"], var.mysql_mode)
    error_message = "The mysql_mode must be managed or self_hosted."
  }
}

variable "mysql_version" {
  description = "MySQL major.minor version: 8.4 or 8.0 (Cloud SQL MYSQL_8_4 / MYSQL_8_0)."
  type        = string
  default     = "8.4"

  validation {
    condition     = contains(["8.0", "8.4"], var.mysql_version)
    error_message = "The mysql_version must be 8.0 or 8.4."
  }
}

variable "mysql_machine_type" {
  description = "Cloud SQL tier (db-custom-<vCPU>-<MiB>, db-n1-*) when managed, Compute Engine machine type when self-hosted."
  type        = string
  default     = "e2-standard-2"
}

variable "mysql_disk_gb" {
  description = "Storage of the Cloud SQL instance (grows automatically) or boot disk of each self-hosted host, in GB."
  type        = number
  default     = 100

  validation {
    condition     = var.mysql_disk_gb >= 20
    error_message = "The mysql_disk_gb must be at least 20."
  }
}

variable "mysql_ha" {
  description = "Managed: REGIONAL availability (standby in a second zone, automatic failover). Self-hosted: the mysql role replicates to the second host (data_host_counts.mysql = 2)."
  type        = bool
  default     = false
}

variable "mysql_read_replica" {
  description = "Managed: a Cloud SQL read replica. Self-hosted: the mysql role replicates to the second host (data_host_counts.mysql = 2)."
  type        = bool
  default     = false
}

variable "mysql_backup_retention_days" {
  description = "Daily Cloud SQL backups to keep (binary logs for point-in-time recovery: up to 7 days)."
  type        = number
  default     = 7

  validation {
    condition     = var.mysql_backup_retention_days >= 1 && var.mysql_backup_retention_days <= 365
    error_message = "The mysql_backup_retention_days must be between 1 and 365."
  }
}

variable "mongodb_mode" {
  description = "Only self_hosted on GCP (VMs configured by the mongodb role): Google offers no managed MongoDB-compatible service this toolkit supports."
  type        = string
  default     = "self_hosted"

  validation {
    condition     = var.mongodb_mode == "self_hosted"
    error_message = "On GCP the mongodb_mode must be self_hosted: Google has no managed MongoDB-compatible service that Open edX supports (see docs/clouds-gcp.md)."
  }
}

variable "mongodb_version" {
  description = "MongoDB version the role installs, such as 7.0."
  type        = string
  default     = "7.0"

  validation {
    condition     = can(regex("^[0-9]+\\.[0-9]+$", var.mongodb_version))
    error_message = "The mongodb_version must be major.minor, such as 7.0."
  }
}

variable "mongodb_count" {
  description = "Replica set members: 1, or an odd number (3 for HA). Sizes nothing on GCP (no managed MongoDB): the hosts come from data_host_counts.mongodb."
  type        = number
  default     = 1

  validation {
    condition     = var.mongodb_count >= 0 && var.mongodb_count <= 7 && (var.mongodb_count == 0 || var.mongodb_count % 2 == 1)
    error_message = "The mongodb_count must be 0 (single: on the app host) or an odd whole number from 1 to 7 (a replica set needs a majority)."
  }
}

variable "mongodb_machine_type" {
  description = "Compute Engine machine type of the MongoDB hosts."
  type        = string
  default     = "e2-standard-2"
}

variable "mongodb_disk_gb" {
  description = "Boot disk (pd-ssd) size of each MongoDB host, in GB."
  type        = number
  default     = 100

  validation {
    condition     = var.mongodb_disk_gb >= 20
    error_message = "The mongodb_disk_gb must be at least 20."
  }
}

variable "redis_mode" {
  description = "managed (Memorystore for Redis, AUTH and TLS) or self_hosted (a VM configured by the redis role)."
  type        = string
  default     = "self_hosted"

  validation {
    condition     = contains(["managed", "self_hosted"], var.redis_mode)
    error_message = "The redis_mode must be managed or self_hosted."
  }
}

variable "redis_version" {
  description = "Redis major.minor version, such as 7.4 (Memorystore for Redis offers up to 7.2; 7.4 runs as REDIS_7_2 there)."
  type        = string
  default     = "7.4"

  validation {
    condition     = contains(["6.x", "7.0", "7.2", "7.4"], var.redis_version)
    error_message = "The redis_version must be 6.x, 7.0, 7.2 or 7.4."
  }
}

variable "redis_machine_type" {
  description = "Managed: Memorystore capacity in GB as a number string (\"1\", \"5\"); any other value uses redis_memory_size_gb. Self-hosted: Compute Engine machine type."
  type        = string
  default     = "e2-standard-2"
}

variable "redis_ha" {
  description = "Managed: STANDARD_HA tier (replica in a second zone, automatic failover). Self-hosted: no effect (one host, data_host_counts.redis)."
  type        = bool
  default     = false
}

variable "search_engine" {
  description = "Search engine: meilisearch, elasticsearch or opensearch."
  type        = string
  default     = "meilisearch"

  validation {
    condition     = contains(["meilisearch", "elasticsearch", "opensearch"], var.search_engine)
    error_message = "The search_engine must be meilisearch, elasticsearch or opensearch."
  }
}

variable "search_mode" {
  description = "Only self_hosted on GCP: Google offers no managed Meilisearch, Elasticsearch or OpenSearch."
  type        = string
  default     = "self_hosted"

  validation {
    condition     = var.search_mode == "self_hosted"
    error_message = "On GCP the search_mode must be self_hosted: Google offers no managed Meilisearch, Elasticsearch or OpenSearch (see docs/clouds-gcp.md)."
  }
}

variable "search_version" {
  description = "Search engine version the role installs, such as 1.8."
  type        = string
  default     = "1.8"
}

variable "search_count" {
  description = "Search nodes. Sizes nothing on GCP (no managed search): the hosts come from data_host_counts.search."
  type        = number
  default     = 1

  validation {
    condition     = var.search_count >= 0 && var.search_count <= 10 && floor(var.search_count) == var.search_count
    error_message = "The search_count must be a whole number from 0 (single: on the app host) to 10."
  }
}

variable "search_machine_type" {
  description = "Compute Engine machine type of the search hosts."
  type        = string
  default     = "e2-standard-2"
}

variable "search_disk_gb" {
  description = "Boot disk (pd-ssd) size of each search host, in GB."
  type        = number
  default     = 50

  validation {
    condition     = var.search_disk_gb >= 10
    error_message = "The search_disk_gb must be at least 10."
  }
}

variable "data_host_counts" {
  description = "VMs per self-hosted data store, and the RabbitMQ broker's: { mysql, mongodb, redis, search, rabbitmq }. The Python topology decides them (docs/contracts.md section 2); the stack creates exactly these: 0 for a managed store, for rabbitmq with the redis broker, and in single, where self-hosted stores and the broker run on the app host."
  type = object({
    mysql    = number
    mongodb  = number
    redis    = number
    search   = number
    rabbitmq = number
  })

  validation {
    condition     = alltrue([for n in values(var.data_host_counts) : n >= 0 && floor(n) == n])
    error_message = "Each of data_host_counts' mysql, mongodb, redis, search and rabbitmq must be a whole number, 0 or more."
  }
}

variable "rabbitmq_mode" {
  description = "self_hosted only: Google Cloud has no managed RabbitMQ (the rabbitmq role runs on a VM, data_host_counts.rabbitmq). Kept for the common interface."
  type        = string
  default     = "self_hosted"

  validation {
    condition     = var.rabbitmq_mode == "self_hosted"
    error_message = "The rabbitmq_mode must be self_hosted: Google Cloud has no managed RabbitMQ (Amazon MQ is AWS only)."
  }
}

variable "rabbitmq_machine_type" {
  description = "VM size of the RabbitMQ broker host (data_host_counts.rabbitmq; broker rabbitmq, docs/rabbitmq.md)."
  type        = string
  default     = "e2-highmem-2"

  validation {
    condition     = length(var.rabbitmq_machine_type) > 0
    error_message = "The rabbitmq_machine_type must not be empty."
  }
}

variable "storage_bucket_prefix" {
  description = "Prefix of the GCS bucket names (uploads, exports, grades, backups are appended); bucket names are global."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{1,45}[a-z0-9]$", var.storage_bucket_prefix)) && !can(regex("^goog", var.storage_bucket_prefix))
    error_message = "The storage_bucket_prefix must be 3-47 lowercase letters, digits or hyphens, starting and ending with a letter or digit, and not starting with \"goog\"."
  }
}

variable "storage_versioning" {
  description = "Keep previous versions of objects (noncurrent versions are deleted after 30 days)."
  type        = bool
  default     = true
}

variable "tls_mode" {
  description = "cloud (global HTTPS load balancer with a Google-managed certificate), provided (load balancer with the operator's certificate), acme or self_signed (nginx on the app hosts terminates TLS; no load balancer)."
  type        = string
  default     = "self_signed"

  validation {
    condition     = contains(["acme", "cloud", "provided", "self_signed"], var.tls_mode)
    error_message = "The tls_mode must be acme, cloud, provided or self_signed."
  }
}

variable "lms_domain" {
  description = "Host name of the LMS, such as learn.example.com."
  type        = string

  validation {
    condition     = can(regex("^([a-z0-9]([a-z0-9-]*[a-z0-9])?\\.)+[a-z]{2,}$", var.lms_domain))
    error_message = "The lms_domain must be a lowercase DNS name such as learn.example.com."
  }
}

variable "studio_domain" {
  description = "Host name of Studio, such as studio.example.com."
  type        = string

  validation {
    condition     = can(regex("^([a-z0-9]([a-z0-9-]*[a-z0-9])?\\.)+[a-z]{2,}$", var.studio_domain))
    error_message = "The studio_domain must be a lowercase DNS name such as studio.example.com."
  }
}

variable "mfe_domain" {
  description = "Host name of the micro-frontends, such as apps.example.com."
  type        = string

  validation {
    condition     = can(regex("^([a-z0-9]([a-z0-9-]*[a-z0-9])?\\.)+[a-z]{2,}$", var.mfe_domain))
    error_message = "The mfe_domain must be a lowercase DNS name such as apps.example.com."
  }
}

variable "dns_zone" {
  description = "DNS name of the public zone on this cloud that holds the environment's domains (LMS, Studio, MFEs, notes, Meilisearch) (such as example.com): the stack points them at the load balancer there. \"\" creates no record: the dns_records output lists the records to create."
  type        = string
  default     = ""

  validation {
    condition     = var.dns_zone == "" || can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z0-9-]{2,63}$", var.dns_zone))
    error_message = "The dns_zone must be a lowercase DNS name such as example.com (no trailing dot), or \"\"."
  }
}

variable "notes_domain" {
  description = "Host name of the notes API, which browsers call (EDXNOTES_PUBLIC_API), such as notes.learn.example.com; \"\" leaves it out of the load balancer's certificate."
  type        = string
  default     = ""

  validation {
    condition     = var.notes_domain == "" || can(regex("^([a-z0-9]([a-z0-9-]*[a-z0-9])?\\.)+[a-z]{2,}$", var.notes_domain))
    error_message = "The notes_domain must be a lowercase DNS name such as notes.learn.example.com, or \"\"."
  }
}

variable "meilisearch_domain" {
  description = "Host name of Meilisearch, which browsers query (Studio's content search, MEILISEARCH_PUBLIC_URL), such as meilisearch.learn.example.com; \"\" (other search engines) leaves it out."
  type        = string
  default     = ""

  validation {
    condition     = var.meilisearch_domain == "" || can(regex("^([a-z0-9]([a-z0-9-]*[a-z0-9])?\\.)+[a-z]{2,}$", var.meilisearch_domain))
    error_message = "The meilisearch_domain must be a lowercase DNS name such as meilisearch.learn.example.com, or \"\"."
  }
}

variable "tls_certificate_file" {
  description = "Path of the PEM certificate chain the load balancer serves when tls_mode = provided; \"\" otherwise."
  type        = string
  default     = ""
}

variable "tls_private_key_file" {
  description = "Path of the PEM private key when tls_mode = provided; \"\" otherwise."
  type        = string
  default     = ""
}

variable "deletion_protection" {
  description = "Protect databases, data hosts and buckets from deletion (Cloud SQL flags, instance deletion protection, no force-destroy)."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Labels merged into every labelled resource (keys and values lowercased, other characters than a-z0-9_- become _); environment is always added."
  type        = map(string)
  default     = {}
}

variable "mysql_admin_password" {
  description = "Password of the Cloud SQL root user, passed as TF_VAR_mysql_admin_password. Cloud SQL cannot generate one: when empty the root user has no password until one is set."
  type        = string
  default     = ""
  sensitive   = true
}

variable "redis_auth_token" {
  description = "Unused on GCP: Memorystore generates its AUTH string itself (read it with `gcloud redis instances get-auth-string`). Kept for the common interface."
  type        = string
  default     = ""
  sensitive   = true
}

variable "rabbitmq_admin_password" {
  description = "Unused on GCP: no managed RabbitMQ. Kept for the common interface."
  type        = string
  default     = ""
  sensitive   = true
}

# ---- GCP-only extras (all defaulted) ----

variable "dns_managed_zone" {
  description = "Name of the Cloud DNS managed zone whose DNS name is dns_zone (Cloud DNS knows zones by a name of their own); \"\": dns_zone with dots replaced by hyphens (example-com)."
  type        = string
  default     = ""

  validation {
    condition     = var.dns_managed_zone == "" || can(regex("^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$", var.dns_managed_zone))
    error_message = "The dns_managed_zone must be 1-63 lowercase letters, digits or hyphens, starting with a letter and not ending with a hyphen."
  }
}

variable "project_id" {
  description = "Project to create everything in; empty uses the google provider's project (provider block, GOOGLE_PROJECT or gcloud config)."
  type        = string
  default     = ""

  validation {
    condition     = var.project_id == "" || can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "The project_id must be empty or a Google Cloud project ID (6-30 lowercase letters, digits, hyphens)."
  }
}

variable "ssh_from_iap" {
  description = "Allow SSH from Google's IAP TCP forwarding range to every host, for `gcloud compute ssh --tunnel-through-iap` (access still needs roles/iap.tunnelResourceAccessor)."
  type        = bool
  default     = false
}

variable "kms_key_name" {
  description = "Cloud KMS key (projects/.../cryptoKeys/...) for customer-managed encryption of disks, Cloud SQL, Memorystore and buckets; empty: Google-managed encryption at rest, always on. The services' agents need roles/cloudkms.cryptoKeyEncrypterDecrypter on the key."
  type        = string
  default     = ""
}

variable "mysql_edition" {
  description = "Cloud SQL edition: ENTERPRISE (db-custom-*/db-n1-* tiers) or ENTERPRISE_PLUS (db-perf-optimized-N-* tiers)."
  type        = string
  default     = "ENTERPRISE"

  validation {
    condition     = contains(["ENTERPRISE", "ENTERPRISE_PLUS"], var.mysql_edition)
    error_message = "The mysql_edition must be ENTERPRISE or ENTERPRISE_PLUS."
  }
}

variable "redis_memory_size_gb" {
  description = "Memorystore capacity in GB when redis_machine_type is not a number."
  type        = number
  default     = 1

  validation {
    condition     = var.redis_memory_size_gb >= 1 && var.redis_memory_size_gb <= 300
    error_message = "The redis_memory_size_gb must be between 1 and 300."
  }
}

variable "storage_location" {
  description = "Location of the buckets: a region or multi-region (US, EU, ASIA); empty uses the region."
  type        = string
  default     = ""
}

variable "enable_services" {
  description = "Enable the Google APIs the stack uses (compute, iam, storage, and servicenetworking, sqladmin, redis for managed stores) in the project; they are left on at destroy."
  type        = bool
  default     = true
}

variable "ssh_host_key" {
  description = "Secret (TF_VAR_ssh_host_key): the environment's ed25519 SSH host key, OpenSSH private format, installed on every host so that the inventory can pin it; \"\" leaves the image's own keys."
  type        = string
  default     = ""
  sensitive   = true
}

variable "ssh_host_public_key" {
  description = "Passed with ssh_host_key (TF_VAR_ssh_host_public_key): its public half, which Terraform cannot derive without the tls provider."
  type        = string
  default     = ""
  sensitive   = true
}

variable "bastion_machine_type" {
  description = "Machine type of the SSH bastion (created when ssh_allowed_cidrs is not empty)."
  type        = string
  default     = "e2-small"
}

variable "cdn_enabled" {
  description = "Put the cloud's CDN in front of the LMS's /static/ and /media/ (the environment file's cdn.enabled); the cdn output then gives the URLs the platform's settings use."
  type        = bool
  default     = false
}

variable "cdn_domain" {
  description = "Always \"\" on GCP (the input is common to the stacks): Cloud CDN caches at the load balancer's edge, on the LMS's own name and certificate."
  type        = string
  default     = ""

  validation {
    condition     = var.cdn_domain == ""
    error_message = "Cloud CDN serves through the load balancer, on the LMS's own name and certificate: cdn_domain must be \"\" on GCP."
  }
}
