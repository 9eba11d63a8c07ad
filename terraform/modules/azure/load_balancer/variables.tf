variable "name" {
  description = "Name prefix of the gateway's resources (the environment name)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}$", var.name))
    error_message = "The name must start with a lowercase letter and hold 2-31 lowercase letters, digits or hyphens."
  }
}

variable "location" {
  description = "Azure region (location) of the gateway."
  type        = string
}

variable "resource_group_name" {
  description = "Resource group that holds the gateway, its public IP and Key Vault."
  type        = string
}

variable "subnet_id" {
  description = "Subnet dedicated to the Application Gateway (nothing else may live in it)."
  type        = string
}

variable "zones" {
  description = "Availability zones the gateway and its public IP span (\"1\", \"2\", \"3\"); empty for a regional, zoneless gateway."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for z in var.zones : contains(["1", "2", "3"], z)])
    error_message = "Each zone must be \"1\", \"2\" or \"3\"."
  }
}

variable "domain_name_label" {
  description = "DNS label of the public IP: <label>.<region>.cloudapp.azure.com, the name to point the domains' CNAMEs at. Unique per region."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,61}[a-z0-9]$", var.domain_name_label))
    error_message = "The domain_name_label must be 3-63 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "domains" {
  description = "Host names served (LMS, Studio, MFEs, notes, Meilisearch); the first is the certificate's subject and the health probe's Host header."
  type        = list(string)

  validation {
    condition     = length(var.domains) > 0 && alltrue([for d in var.domains : can(regex("^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$", d))])
    error_message = "The domains must be one or more lowercase DNS names such as learn.example.com."
  }
}

variable "tls_mode" {
  description = "Where the certificate comes from: provided (the PEM in certificate_pem is imported), cloud (Key Vault issues it through certificate_issuer), self_signed (Key Vault makes a self-signed one), acme (a placeholder Key Vault certificate that the hosts replace with the one they obtain; /.well-known/acme-challenge/ is passed to them over HTTP)."
  type        = string
  default     = "self_signed"

  validation {
    condition     = contains(["provided", "cloud", "self_signed", "acme"], var.tls_mode)
    error_message = "The tls_mode must be provided, cloud, self_signed or acme."
  }
}

variable "certificate_pem" {
  description = "For tls_mode = provided: certificate chain followed by its private key in PKCS#8 PEM (BEGIN PRIVATE KEY), as Key Vault imports it."
  type        = string
  default     = ""
  sensitive   = true
}

variable "certificate_issuer" {
  description = "Key Vault issuer for tls_mode = cloud: Self, or the name of an issuer configured in the vault for DigiCert or GlobalSign."
  type        = string
  default     = "Self"
}

variable "certificate_writer_principal_ids" {
  description = "Principals (e.g. the hosts' managed identity under tls_mode = acme) allowed to import new certificate versions into the vault."
  type        = list(string)
  default     = []
}

variable "key_vault_network_default_action" {
  description = "Key Vault firewall default: Allow (RBAC alone guards it, and Terraform can write the certificate from anywhere) or Deny (only key_vault_allowed_ip_ranges and Azure's trusted services)."
  type        = string
  default     = "Allow"

  validation {
    condition     = contains(["Allow", "Deny"], var.key_vault_network_default_action)
    error_message = "The key_vault_network_default_action must be Allow or Deny."
  }
}

variable "key_vault_allowed_ip_ranges" {
  description = "Public CIDRs allowed through the Key Vault firewall when its default action is Deny (where Terraform runs)."
  type        = list(string)
  default     = []
}

variable "backend_port" {
  description = "Port the app hosts' proxy listens on for plain HTTP from the gateway subnet."
  type        = number
  default     = 80
}

variable "health_check_path" {
  description = "Path probed on each app host; a 200-399 answer marks it healthy."
  type        = string
  default     = "/heartbeat"
}

variable "min_capacity" {
  description = "Least autoscale instances (2 or more keeps the gateway up through an instance's maintenance)."
  type        = number
  default     = 1

  validation {
    condition     = var.min_capacity >= 0 && var.min_capacity <= 100
    error_message = "The min_capacity must be from 0 to 100."
  }
}

variable "max_capacity" {
  description = "Most autoscale instances."
  type        = number
  default     = 4

  validation {
    condition     = var.max_capacity >= 2 && var.max_capacity <= 125
    error_message = "The max_capacity must be from 2 to 125."
  }
}

variable "waf_enabled" {
  description = "Use the WAF_v2 SKU with an OWASP 3.2 policy in Prevention mode."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags merged into every taggable resource; must carry the environment tag."
  type        = map(string)
  default     = {}

  validation {
    condition     = contains(keys(var.tags), "environment")
    error_message = "The tags must include an environment key."
  }
}
