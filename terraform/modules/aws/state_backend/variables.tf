variable "create" {
  description = "Create the state bucket and lock table; false creates nothing."
  type        = bool
  default     = true
}

variable "bucket_name" {
  description = "Name of the S3 bucket holding Terraform state."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bucket_name))
    error_message = "The bucket_name must be 3-63 lowercase letters, digits, dots or hyphens, starting and ending with a letter or digit."
  }
}

variable "lock_table_name" {
  description = "Name of the DynamoDB table Terraform takes state locks in; null names it `<bucket_name>-lock`, the name openedx-deploy's s3 backend uses when `state.lock_table` is not set."
  type        = string
  default     = null

  validation {
    condition     = var.lock_table_name == null || can(regex("^[a-zA-Z0-9_.-]{3,255}$", var.lock_table_name))
    error_message = "The lock_table_name must be 3-255 letters, digits, underscores, dots or hyphens."
  }
}

variable "create_kms_key" {
  description = "Create a dedicated KMS key (with rotation) for the bucket and the table; false uses kms_key_arn."
  type        = bool
  default     = true
}

variable "kms_key_arn" {
  description = "KMS key ARN for the bucket and the table when create_kms_key is false; null then uses the AWS managed keys."
  type        = string
  default     = null
}

variable "noncurrent_version_days" {
  description = "Days to keep superseded state versions (the way back from a bad apply)."
  type        = number
  default     = 90
}

variable "deletion_protection" {
  description = "Protect the lock table from deletion and keep the bucket from being destroyed while it holds state."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags merged into every resource; must carry `environment`."
  type        = map(string)
  default     = {}
}
