variable "bucket_prefix" {
  description = "Prefix of the bucket names; -uploads, -exports, -grades and -backups are appended."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{1,45}[a-z0-9]$", var.bucket_prefix))
    error_message = "The bucket_prefix must be 3-47 lowercase letters, digits or hyphens, starting and ending with a letter or digit."
  }
}

variable "versioning" {
  description = "Keep previous object versions (they expire after noncurrent_version_days)."
  type        = bool
  default     = true
}

variable "noncurrent_version_days" {
  description = "Days after which a replaced or deleted object version is removed."
  type        = number
  default     = 30

  validation {
    condition     = var.noncurrent_version_days >= 1
    error_message = "The noncurrent_version_days must be at least 1."
  }
}

variable "kms_key_arn" {
  description = "KMS key ARN for SSE-KMS default encryption of every bucket."
  type        = string
}

variable "cors_allowed_origins" {
  description = "Origins (https://learn.example.com ...) browsers may upload to / download from the uploads bucket with."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for o in var.cors_allowed_origins : can(regex("^https://", o))])
    error_message = "Every cors_allowed_origins entry must start with https://."
  }
}

variable "deletion_protection" {
  description = "When false, buckets may be destroyed with their objects (force_destroy); keep true for real data."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags merged into every resource; must carry `environment`."
  type        = map(string)
  default     = {}
}
