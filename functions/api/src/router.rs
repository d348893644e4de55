//! The routes of the API: one table, used both to dispatch and (in the contract test) to check
//! that `api/openapi.yaml` documents exactly these.

use web::Role;

/// What a route does; the handler module matches on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Login,
    PrivacyNotice,
    Me,
    OwnData,
    Erasure,
    VerifyIdentity,
    NewPortrait,
    RequestTransfer,
    LinkByRoster,
    LinkByChsiCode,
    LinkBySessionCode,
    AskLinkConfirmation,
    ListCollections,
    GetCollection,
    CollectionEvents,
    StartAttempt,
    Submit,
    Withdraw,
    Pay,
    PutAddress,
    PrintReceived,
    RequestRefund,
    PaymentAnomalies,
    ListTasks,
    CreateTask,
    GetTask,
    ImportRoster,
    Progress,
}

const STUDENT: Option<&[Role]> = Some(&[Role::Student]);
const OPERATOR: Option<&[Role]> = Some(&[Role::Operator]);
const STUDENT_OR_OPERATOR: Option<&[Role]> = Some(&[Role::Student, Role::Operator]);

web::routes! { Action {
    POST "/v1/auth/wechat" => Login, None;
    GET "/v1/privacy-notice" => PrivacyNotice, None;
    GET "/v1/me" => Me, STUDENT;
    GET "/v1/me/data" => OwnData, STUDENT;
    POST "/v1/me/erasure" => Erasure, STUDENT;
    POST "/v1/identity" => VerifyIdentity, STUDENT;
    POST "/v1/identity/portrait" => NewPortrait, STUDENT;
    POST "/v1/identity/transfer-requests" => RequestTransfer, STUDENT;
    POST "/v1/links/roster" => LinkByRoster, STUDENT;
    POST "/v1/links/chsi-code" => LinkByChsiCode, STUDENT;
    POST "/v1/links/session-code" => LinkBySessionCode, STUDENT;
    POST "/v1/links/confirmation-requests" => AskLinkConfirmation, STUDENT;
    GET "/v1/collections" => ListCollections, STUDENT;
    GET "/v1/collections/{collection_id}" => GetCollection, STUDENT_OR_OPERATOR;
    GET "/v1/collections/{collection_id}/events" => CollectionEvents, OPERATOR;
    POST "/v1/collections/{collection_id}/attempts" => StartAttempt, STUDENT;
    POST "/v1/collections/{collection_id}/submit" => Submit, STUDENT;
    POST "/v1/collections/{collection_id}/withdraw" => Withdraw, STUDENT;
    POST "/v1/collections/{collection_id}/payment" => Pay, STUDENT;
    PUT "/v1/collections/{collection_id}/address" => PutAddress, STUDENT;
    POST "/v1/collections/{collection_id}/print/received" => PrintReceived, STUDENT;
    POST "/v1/collections/{collection_id}/refund" => RequestRefund, STUDENT_OR_OPERATOR;
    GET "/v1/payments/anomalies" => PaymentAnomalies, OPERATOR;
    GET "/v1/tasks" => ListTasks, OPERATOR;
    POST "/v1/tasks" => CreateTask, OPERATOR;
    GET "/v1/tasks/{task_id}" => GetTask, OPERATOR;
    PUT "/v1/tasks/{task_id}/roster" => ImportRoster, OPERATOR;
    GET "/v1/tasks/{task_id}/progress" => Progress, OPERATOR;
}}
