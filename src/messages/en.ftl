# End-user messages in English, one per stable error code (`extensions.code`).
# `zh-CN.ftl` holds the same ids; a test keeps both complete.

INVALID_REGION_CODE = The region code is not valid.
INVALID_CURSOR = The page position is no longer valid; start the list again.
BAD_USER_INPUT = Some of the information entered is not valid.
FORBIDDEN = Your role or region does not allow this.
INTERNAL = Something went wrong in the hub; try again later.
DATABASE_UNAVAILABLE = The hub's database cannot be reached; try again shortly.
GRAPHQL_PARSE_FAILED = The request could not be read.
GRAPHQL_VALIDATION_FAILED = The request does not match the hub's schema.
QUERY_TOO_DEEP = The request is nested too deeply.
QUERY_TOO_COMPLEX = The request asks for too much at once.
TOO_MANY_ALIASES = The request has too many aliases.
TOO_MANY_ROOT_FIELDS = The request asks for too many things at once.
TOO_MANY_TOKENS = The request is too long.
INVALID_TOKEN = Your sign-in is not valid or has expired; sign in again.
UNAUTHENTICATED = Sign in to see this.
PURPOSE_REQUIRED = State the purpose of this look-up.
AUDIT_UNAVAILABLE = The access log cannot be written right now, so no personal data is shown; try again shortly.
INVALID_ID_NUMBER = The ID number is not valid.
DEPARTMENT_TIMEOUT = { $department } did not answer in time; try again.
DEPARTMENT_UNAVAILABLE = { $department } cannot be reached right now.
DEPARTMENT_ERROR = { $department } answered with an error.
BAD_REQUEST = The request is malformed.
NOT_ACCEPTABLE = The hub cannot answer in a format this client accepts.
UNSUPPORTED_MEDIA_TYPE = The request must be sent as JSON.
PAYLOAD_TOO_LARGE = The request is too large.
METHOD_NOT_ALLOWED = This method is not allowed here.
NOT_FOUND = Nothing was found.
CONFLICT = Someone else changed this record; reload it and try again.
INVALID_TRANSITION = This step is not possible in the record's current state.
IDEMPOTENCY_KEY_REUSED = This request key was already used for a different request.
INVALID_CASE_REF = The case reference is not valid.
PERSISTED_QUERY_NOT_FOUND = The hub does not know this saved request yet.
PERSISTED_QUERY_NOT_SUPPORTED = The hub does not take saved requests; send the full request.
PERSISTED_QUERY_NOT_IN_LIST = This app may only send the requests registered for it.
RATE_LIMITED = Too many requests from you or your app. Wait a moment and try again.

department = { $name ->
    [medical_insurance] The medical insurance bureau
    [social_security] The human resources and social security bureau
    [civil_affairs] The civil affairs bureau
    [public_security] The public security bureau
    [veterans_affairs] The veterans affairs bureau
    [health] The health commission
    [agriculture] The agriculture and rural affairs bureau
    [justice] The justice bureau
    [emergency_management] The emergency management bureau
    [education] The education bureau
    [housing] The housing and urban-rural development bureau
    [transport] The transport bureau
    [postal] The postal administration
   *[other] A department
}
