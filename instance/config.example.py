# Copy to instance/config.py and change what you need. Environment variables of the same
# name override this file (DATABASE_URL for SQLALCHEMY_DATABASE_URI). See README: 配置.

# SQLALCHEMY_DATABASE_URI = "postgresql+psycopg://rectify:secret@127.0.0.1:5432/rectify"
# SECRET_KEY = "a long random string, the same in every app process"
# RECTIFY_TIMEZONE = "Asia/Shanghai"
# RECTIFY_ORG_NAME = "中共××县委巡察工作领导小组办公室"
# RECTIFY_DUE_SOON_DAYS = 7
# RECTIFY_LONG_TERM_CLOSES_PROBLEM = True
# RECTIFY_MAX_REQUEST_MB = 100
# RECTIFY_LOGIN_RATE_LIMIT = "10 per 15 minutes"
# RATELIMIT_STORAGE_URI = "memory://"
# RECTIFY_PROXY_COUNT = 1
# SESSION_COOKIE_SECURE = True
# RECTIFY_LOG_DIR = "logs"  # relative to the instance folder, or an absolute path
# RECTIFY_LOG_LEVEL = "INFO"
# RECTIFY_LOG_MAX_MB = 10
# RECTIFY_LOG_BACKUPS = 10
