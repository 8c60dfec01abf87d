# 面向最终用户的中文提示，每个稳定错误码（`extensions.code`）一条。
# 与 `en.ftl` 的条目一一对应；测试保证两者完整。

INVALID_REGION_CODE = 行政区划代码无效。
INVALID_CURSOR = 翻页位置已失效，请重新打开列表。
BAD_USER_INPUT = 填写的信息有误，请检查后重试。
FORBIDDEN = 您的角色或管辖区域无权进行此操作。
INTERNAL = 系统内部出错，请稍后重试。
DATABASE_UNAVAILABLE = 数据库暂时无法访问，请稍后重试。
GRAPHQL_PARSE_FAILED = 请求无法解析。
GRAPHQL_VALIDATION_FAILED = 请求与接口定义不符。
QUERY_TOO_DEEP = 请求嵌套层级过深。
QUERY_TOO_COMPLEX = 一次请求的内容过多。
TOO_MANY_ALIASES = 请求中的别名过多。
TOO_MANY_ROOT_FIELDS = 一次请求的查询项过多。
TOO_MANY_TOKENS = 请求内容过长。
INVALID_TOKEN = 登录凭证无效或已过期，请重新登录。
UNAUTHENTICATED = 请先登录。
PURPOSE_REQUIRED = 请说明本次查询的用途。
AUDIT_UNAVAILABLE = 访问日志暂时无法记录，个人信息不予显示，请稍后重试。
INVALID_ID_NUMBER = 身份证号码无效。
DEPARTMENT_TIMEOUT = { $department }未在规定时间内答复，请重试。
DEPARTMENT_UNAVAILABLE = { $department }系统暂时无法连接。
DEPARTMENT_ERROR = { $department }系统返回错误。
BAD_REQUEST = 请求格式有误。
NOT_ACCEPTABLE = 无法以该客户端接受的格式答复。
UNSUPPORTED_MEDIA_TYPE = 请求须以 JSON 格式发送。
PAYLOAD_TOO_LARGE = 请求内容过大。
METHOD_NOT_ALLOWED = 不支持该请求方式。
NOT_FOUND = 未找到相关记录。
CONFLICT = 该记录已被他人修改，请刷新后重试。
INVALID_TRANSITION = 该记录当前状态下不能进行此步骤。
IDEMPOTENCY_KEY_REUSED = 该请求编号已用于另一项请求。
INVALID_CASE_REF = 案件编号无效。
PERSISTED_QUERY_NOT_FOUND = 系统尚未登记该预存请求。
PERSISTED_QUERY_NOT_SUPPORTED = 系统不接受预存请求，请发送完整请求。
PERSISTED_QUERY_NOT_IN_LIST = 该应用只能发送已登记的请求。
RATE_LIMITED = 您或您的应用请求过于频繁，请稍候再试。

department = { $name ->
    [medical_insurance] 医疗保障局
    [social_security] 人力资源和社会保障局
    [civil_affairs] 民政局
    [public_security] 公安局
    [veterans_affairs] 退役军人事务局
    [health] 卫生健康局
    [agriculture] 农业农村局
    [justice] 司法局
    [emergency_management] 应急管理局
    [education] 教育局
    [housing] 住房和城乡建设局
    [transport] 交通运输局
    [postal] 邮政管理局
   *[other] 相关部门
}
