// Home Security Intelligence card. Built from frontend/src by `npm run build`; do not edit.
var Ve=Object.defineProperty;var Ke=(r,e,t)=>e in r?Ve(r,e,{enumerable:!0,configurable:!0,writable:!0,value:t}):r[e]=t;var f=(r,e,t)=>Ke(r,typeof e!="symbol"?e+"":e,t);var G=globalThis,Y=G.ShadowRoot&&(G.ShadyCSS===void 0||G.ShadyCSS.nativeShadow)&&"adoptedStyleSheets"in Document.prototype&&"replace"in CSSStyleSheet.prototype,ie=Symbol(),ye=new WeakMap,U=class{constructor(e,t,s){if(this._$cssResult$=!0,s!==ie)throw Error("CSSResult is not constructable. Use `unsafeCSS` or `css` instead.");this.cssText=e,this.t=t}get styleSheet(){let e=this.o,t=this.t;if(Y&&e===void 0){let s=t!==void 0&&t.length===1;s&&(e=ye.get(t)),e===void 0&&((this.o=e=new CSSStyleSheet).replaceSync(this.cssText),s&&ye.set(t,e))}return e}toString(){return this.cssText}},ve=r=>new U(typeof r=="string"?r:r+"",void 0,ie),b=(r,...e)=>{let t=r.length===1?r[0]:e.reduce((s,i,a)=>s+(n=>{if(n._$cssResult$===!0)return n.cssText;if(typeof n=="number")return n;throw Error("Value passed to 'css' function must be a 'css' function result: "+n+". Use 'unsafeCSS' to pass non-literal values, but take care to ensure page security.")})(i)+r[a+1],r[0]);return new U(t,r,ie)},we=(r,e)=>{if(Y)r.adoptedStyleSheets=e.map(t=>t instanceof CSSStyleSheet?t:t.styleSheet);else for(let t of e){let s=document.createElement("style"),i=G.litNonce;i!==void 0&&s.setAttribute("nonce",i),s.textContent=t.cssText,r.appendChild(s)}},re=Y?r=>r:r=>r instanceof CSSStyleSheet?(e=>{let t="";for(let s of e.cssRules)t+=s.cssText;return ve(t)})(r):r;var{is:Ze,defineProperty:Ge,getOwnPropertyDescriptor:Ye,getOwnPropertyNames:Je,getOwnPropertySymbols:Qe,getPrototypeOf:Xe}=Object,J=globalThis,xe=J.trustedTypes,et=xe?xe.emptyScript:"",tt=J.reactiveElementPolyfillSupport,D=(r,e)=>r,ae={toAttribute(r,e){switch(e){case Boolean:r=r?et:null;break;case Object:case Array:r=r==null?r:JSON.stringify(r)}return r},fromAttribute(r,e){let t=r;switch(e){case Boolean:t=r!==null;break;case Number:t=r===null?null:Number(r);break;case Object:case Array:try{t=JSON.parse(r)}catch{t=null}}return t}},Se=(r,e)=>!Ze(r,e),ke={attribute:!0,type:String,converter:ae,reflect:!1,useDefault:!1,hasChanged:Se};Symbol.metadata??=Symbol("metadata"),J.litPropertyMetadata??=new WeakMap;var y=class extends HTMLElement{static addInitializer(e){this._$Ei(),(this.l??=[]).push(e)}static get observedAttributes(){return this.finalize(),this._$Eh&&[...this._$Eh.keys()]}static createProperty(e,t=ke){if(t.state&&(t.attribute=!1),this._$Ei(),this.prototype.hasOwnProperty(e)&&((t=Object.create(t)).wrapped=!0),this.elementProperties.set(e,t),!t.noAccessor){let s=Symbol(),i=this.getPropertyDescriptor(e,s,t);i!==void 0&&Ge(this.prototype,e,i)}}static getPropertyDescriptor(e,t,s){let{get:i,set:a}=Ye(this.prototype,e)??{get(){return this[t]},set(n){this[t]=n}};return{get:i,set(n){let c=i?.call(this);a?.call(this,n),this.requestUpdate(e,c,s)},configurable:!0,enumerable:!0}}static getPropertyOptions(e){return this.elementProperties.get(e)??ke}static _$Ei(){if(this.hasOwnProperty(D("elementProperties")))return;let e=Xe(this);e.finalize(),e.l!==void 0&&(this.l=[...e.l]),this.elementProperties=new Map(e.elementProperties)}static finalize(){if(this.hasOwnProperty(D("finalized")))return;if(this.finalized=!0,this._$Ei(),this.hasOwnProperty(D("properties"))){let t=this.properties,s=[...Je(t),...Qe(t)];for(let i of s)this.createProperty(i,t[i])}let e=this[Symbol.metadata];if(e!==null){let t=litPropertyMetadata.get(e);if(t!==void 0)for(let[s,i]of t)this.elementProperties.set(s,i)}this._$Eh=new Map;for(let[t,s]of this.elementProperties){let i=this._$Eu(t,s);i!==void 0&&this._$Eh.set(i,t)}this.elementStyles=this.finalizeStyles(this.styles)}static finalizeStyles(e){let t=[];if(Array.isArray(e)){let s=new Set(e.flat(1/0).reverse());for(let i of s)t.unshift(re(i))}else e!==void 0&&t.push(re(e));return t}static _$Eu(e,t){let s=t.attribute;return s===!1?void 0:typeof s=="string"?s:typeof e=="string"?e.toLowerCase():void 0}constructor(){super(),this._$Ep=void 0,this.isUpdatePending=!1,this.hasUpdated=!1,this._$Em=null,this._$Ev()}_$Ev(){this._$ES=new Promise(e=>this.enableUpdating=e),this._$AL=new Map,this._$E_(),this.requestUpdate(),this.constructor.l?.forEach(e=>e(this))}addController(e){(this._$EO??=new Set).add(e),this.renderRoot!==void 0&&this.isConnected&&e.hostConnected?.()}removeController(e){this._$EO?.delete(e)}_$E_(){let e=new Map,t=this.constructor.elementProperties;for(let s of t.keys())this.hasOwnProperty(s)&&(e.set(s,this[s]),delete this[s]);e.size>0&&(this._$Ep=e)}createRenderRoot(){let e=this.shadowRoot??this.attachShadow(this.constructor.shadowRootOptions);return we(e,this.constructor.elementStyles),e}connectedCallback(){this.renderRoot??=this.createRenderRoot(),this.enableUpdating(!0),this._$EO?.forEach(e=>e.hostConnected?.())}enableUpdating(e){}disconnectedCallback(){this._$EO?.forEach(e=>e.hostDisconnected?.())}attributeChangedCallback(e,t,s){this._$AK(e,s)}_$ET(e,t){let s=this.constructor.elementProperties.get(e),i=this.constructor._$Eu(e,s);if(i!==void 0&&s.reflect===!0){let a=(s.converter?.toAttribute!==void 0?s.converter:ae).toAttribute(t,s.type);this._$Em=e,a==null?this.removeAttribute(i):this.setAttribute(i,a),this._$Em=null}}_$AK(e,t){let s=this.constructor,i=s._$Eh.get(e);if(i!==void 0&&this._$Em!==i){let a=s.getPropertyOptions(i),n=typeof a.converter=="function"?{fromAttribute:a.converter}:a.converter?.fromAttribute!==void 0?a.converter:ae;this._$Em=i;let c=n.fromAttribute(t,a.type);this[i]=c??this._$Ej?.get(i)??c,this._$Em=null}}requestUpdate(e,t,s,i=!1,a){if(e!==void 0){let n=this.constructor;if(i===!1&&(a=this[e]),s??=n.getPropertyOptions(e),!((s.hasChanged??Se)(a,t)||s.useDefault&&s.reflect&&a===this._$Ej?.get(e)&&!this.hasAttribute(n._$Eu(e,s))))return;this.C(e,t,s)}this.isUpdatePending===!1&&(this._$ES=this._$EP())}C(e,t,{useDefault:s,reflect:i,wrapped:a},n){s&&!(this._$Ej??=new Map).has(e)&&(this._$Ej.set(e,n??t??this[e]),a!==!0||n!==void 0)||(this._$AL.has(e)||(this.hasUpdated||s||(t=void 0),this._$AL.set(e,t)),i===!0&&this._$Em!==e&&(this._$Eq??=new Set).add(e))}async _$EP(){this.isUpdatePending=!0;try{await this._$ES}catch(t){Promise.reject(t)}let e=this.scheduleUpdate();return e!=null&&await e,!this.isUpdatePending}scheduleUpdate(){return this.performUpdate()}performUpdate(){if(!this.isUpdatePending)return;if(!this.hasUpdated){if(this.renderRoot??=this.createRenderRoot(),this._$Ep){for(let[i,a]of this._$Ep)this[i]=a;this._$Ep=void 0}let s=this.constructor.elementProperties;if(s.size>0)for(let[i,a]of s){let{wrapped:n}=a,c=this[i];n!==!0||this._$AL.has(i)||c===void 0||this.C(i,void 0,a,c)}}let e=!1,t=this._$AL;try{e=this.shouldUpdate(t),e?(this.willUpdate(t),this._$EO?.forEach(s=>s.hostUpdate?.()),this.update(t)):this._$EM()}catch(s){throw e=!1,this._$EM(),s}e&&this._$AE(t)}willUpdate(e){}_$AE(e){this._$EO?.forEach(t=>t.hostUpdated?.()),this.hasUpdated||(this.hasUpdated=!0,this.firstUpdated(e)),this.updated(e)}_$EM(){this._$AL=new Map,this.isUpdatePending=!1}get updateComplete(){return this.getUpdateComplete()}getUpdateComplete(){return this._$ES}shouldUpdate(e){return!0}update(e){this._$Eq&&=this._$Eq.forEach(t=>this._$ET(t,this[t])),this._$EM()}updated(e){}firstUpdated(e){}};y.elementStyles=[],y.shadowRootOptions={mode:"open"},y[D("elementProperties")]=new Map,y[D("finalized")]=new Map,tt?.({ReactiveElement:y}),(J.reactiveElementVersions??=[]).push("2.1.2");var pe=globalThis,Ae=r=>r,Q=pe.trustedTypes,Ee=Q?Q.createPolicy("lit-html",{createHTML:r=>r}):void 0,Le="$lit$",w=`lit$${Math.random().toFixed(9).slice(2)}$`,Oe="?"+w,st=`<${Oe}>`,A=document,H=()=>A.createComment(""),F=r=>r===null||typeof r!="object"&&typeof r!="function",ue=Array.isArray,it=r=>ue(r)||typeof r?.[Symbol.iterator]=="function",ne=`[ 	
\f\r]`,j=/<(?:(!--|\/[^a-zA-Z])|(\/?[a-zA-Z][^>\s]*)|(\/?$))/g,Ce=/-->/g,Te=/>/g,k=RegExp(`>|${ne}(?:([^\\s"'>=/]+)(${ne}*=${ne}*(?:[^ 	
\f\r"'\`<>=]|("|')|))|$)`,"g"),Ne=/'/g,Me=/"/g,Pe=/^(?:script|style|textarea|title)$/i,me=r=>(e,...t)=>({_$litType$:r,strings:e,values:t}),o=me(1),_e=me(2),At=me(3),E=Symbol.for("lit-noChange"),l=Symbol.for("lit-nothing"),Re=new WeakMap,S=A.createTreeWalker(A,129);function Ie(r,e){if(!ue(r)||!r.hasOwnProperty("raw"))throw Error("invalid template strings array");return Ee!==void 0?Ee.createHTML(e):e}var rt=(r,e)=>{let t=r.length-1,s=[],i,a=e===2?"<svg>":e===3?"<math>":"",n=j;for(let c=0;c<t;c++){let h=r[c],p,u,d=-1,$=0;for(;$<h.length&&(n.lastIndex=$,u=n.exec(h),u!==null);)$=n.lastIndex,n===j?u[1]==="!--"?n=Ce:u[1]!==void 0?n=Te:u[2]!==void 0?(Pe.test(u[2])&&(i=RegExp("</"+u[2],"g")),n=k):u[3]!==void 0&&(n=k):n===k?u[0]===">"?(n=i??j,d=-1):u[1]===void 0?d=-2:(d=n.lastIndex-u[2].length,p=u[1],n=u[3]===void 0?k:u[3]==='"'?Me:Ne):n===Me||n===Ne?n=k:n===Ce||n===Te?n=j:(n=k,i=void 0);let v=n===k&&r[c+1].startsWith("/>")?" ":"";a+=n===j?h+st:d>=0?(s.push(p),h.slice(0,d)+Le+h.slice(d)+w+v):h+w+(d===-2?c:v)}return[Ie(r,a+(r[t]||"<?>")+(e===2?"</svg>":e===3?"</math>":"")),s]},q=class r{constructor({strings:e,_$litType$:t},s){let i;this.parts=[];let a=0,n=0,c=e.length-1,h=this.parts,[p,u]=rt(e,t);if(this.el=r.createElement(p,s),S.currentNode=this.el.content,t===2||t===3){let d=this.el.content.firstChild;d.replaceWith(...d.childNodes)}for(;(i=S.nextNode())!==null&&h.length<c;){if(i.nodeType===1){if(i.hasAttributes())for(let d of i.getAttributeNames())if(d.endsWith(Le)){let $=u[n++],v=i.getAttribute(d).split(w),Z=/([.?@])?(.*)/.exec($);h.push({type:1,index:a,name:Z[2],strings:v,ctor:Z[1]==="."?le:Z[1]==="?"?ce:Z[1]==="@"?he:R}),i.removeAttribute(d)}else d.startsWith(w)&&(h.push({type:6,index:a}),i.removeAttribute(d));if(Pe.test(i.tagName)){let d=i.textContent.split(w),$=d.length-1;if($>0){i.textContent=Q?Q.emptyScript:"";for(let v=0;v<$;v++)i.append(d[v],H()),S.nextNode(),h.push({type:2,index:++a});i.append(d[$],H())}}}else if(i.nodeType===8)if(i.data===Oe)h.push({type:2,index:a});else{let d=-1;for(;(d=i.data.indexOf(w,d+1))!==-1;)h.push({type:7,index:a}),d+=w.length-1}a++}}static createElement(e,t){let s=A.createElement("template");return s.innerHTML=e,s}};function M(r,e,t=r,s){if(e===E)return e;let i=s!==void 0?t._$Co?.[s]:t._$Cl,a=F(e)?void 0:e._$litDirective$;return i?.constructor!==a&&(i?._$AO?.(!1),a===void 0?i=void 0:(i=new a(r),i._$AT(r,t,s)),s!==void 0?(t._$Co??=[])[s]=i:t._$Cl=i),i!==void 0&&(e=M(r,i._$AS(r,e.values),i,s)),e}var oe=class{constructor(e,t){this._$AV=[],this._$AN=void 0,this._$AD=e,this._$AM=t}get parentNode(){return this._$AM.parentNode}get _$AU(){return this._$AM._$AU}u(e){let{el:{content:t},parts:s}=this._$AD,i=(e?.creationScope??A).importNode(t,!0);S.currentNode=i;let a=S.nextNode(),n=0,c=0,h=s[0];for(;h!==void 0;){if(n===h.index){let p;h.type===2?p=new B(a,a.nextSibling,this,e):h.type===1?p=new h.ctor(a,h.name,h.strings,this,e):h.type===6&&(p=new de(a,this,e)),this._$AV.push(p),h=s[++c]}n!==h?.index&&(a=S.nextNode(),n++)}return S.currentNode=A,i}p(e){let t=0;for(let s of this._$AV)s!==void 0&&(s.strings!==void 0?(s._$AI(e,s,t),t+=s.strings.length-2):s._$AI(e[t])),t++}},B=class r{get _$AU(){return this._$AM?._$AU??this._$Cv}constructor(e,t,s,i){this.type=2,this._$AH=l,this._$AN=void 0,this._$AA=e,this._$AB=t,this._$AM=s,this.options=i,this._$Cv=i?.isConnected??!0}get parentNode(){let e=this._$AA.parentNode,t=this._$AM;return t!==void 0&&e?.nodeType===11&&(e=t.parentNode),e}get startNode(){return this._$AA}get endNode(){return this._$AB}_$AI(e,t=this){e=M(this,e,t),F(e)?e===l||e==null||e===""?(this._$AH!==l&&this._$AR(),this._$AH=l):e!==this._$AH&&e!==E&&this._(e):e._$litType$!==void 0?this.$(e):e.nodeType!==void 0?this.T(e):it(e)?this.k(e):this._(e)}O(e){return this._$AA.parentNode.insertBefore(e,this._$AB)}T(e){this._$AH!==e&&(this._$AR(),this._$AH=this.O(e))}_(e){this._$AH!==l&&F(this._$AH)?this._$AA.nextSibling.data=e:this.T(A.createTextNode(e)),this._$AH=e}$(e){let{values:t,_$litType$:s}=e,i=typeof s=="number"?this._$AC(e):(s.el===void 0&&(s.el=q.createElement(Ie(s.h,s.h[0]),this.options)),s);if(this._$AH?._$AD===i)this._$AH.p(t);else{let a=new oe(i,this),n=a.u(this.options);a.p(t),this.T(n),this._$AH=a}}_$AC(e){let t=Re.get(e.strings);return t===void 0&&Re.set(e.strings,t=new q(e)),t}k(e){ue(this._$AH)||(this._$AH=[],this._$AR());let t=this._$AH,s,i=0;for(let a of e)i===t.length?t.push(s=new r(this.O(H()),this.O(H()),this,this.options)):s=t[i],s._$AI(a),i++;i<t.length&&(this._$AR(s&&s._$AB.nextSibling,i),t.length=i)}_$AR(e=this._$AA.nextSibling,t){for(this._$AP?.(!1,!0,t);e!==this._$AB;){let s=Ae(e).nextSibling;Ae(e).remove(),e=s}}setConnected(e){this._$AM===void 0&&(this._$Cv=e,this._$AP?.(e))}},R=class{get tagName(){return this.element.tagName}get _$AU(){return this._$AM._$AU}constructor(e,t,s,i,a){this.type=1,this._$AH=l,this._$AN=void 0,this.element=e,this.name=t,this._$AM=i,this.options=a,s.length>2||s[0]!==""||s[1]!==""?(this._$AH=Array(s.length-1).fill(new String),this.strings=s):this._$AH=l}_$AI(e,t=this,s,i){let a=this.strings,n=!1;if(a===void 0)e=M(this,e,t,0),n=!F(e)||e!==this._$AH&&e!==E,n&&(this._$AH=e);else{let c=e,h,p;for(e=a[0],h=0;h<a.length-1;h++)p=M(this,c[s+h],t,h),p===E&&(p=this._$AH[h]),n||=!F(p)||p!==this._$AH[h],p===l?e=l:e!==l&&(e+=(p??"")+a[h+1]),this._$AH[h]=p}n&&!i&&this.j(e)}j(e){e===l?this.element.removeAttribute(this.name):this.element.setAttribute(this.name,e??"")}},le=class extends R{constructor(){super(...arguments),this.type=3}j(e){this.element[this.name]=e===l?void 0:e}},ce=class extends R{constructor(){super(...arguments),this.type=4}j(e){this.element.toggleAttribute(this.name,!!e&&e!==l)}},he=class extends R{constructor(e,t,s,i,a){super(e,t,s,i,a),this.type=5}_$AI(e,t=this){if((e=M(this,e,t,0)??l)===E)return;let s=this._$AH,i=e===l&&s!==l||e.capture!==s.capture||e.once!==s.once||e.passive!==s.passive,a=e!==l&&(s===l||i);i&&this.element.removeEventListener(this.name,this,s),a&&this.element.addEventListener(this.name,this,e),this._$AH=e}handleEvent(e){typeof this._$AH=="function"?this._$AH.call(this.options?.host??this.element,e):this._$AH.handleEvent(e)}},de=class{constructor(e,t,s){this.element=e,this.type=6,this._$AN=void 0,this._$AM=t,this.options=s}get _$AU(){return this._$AM._$AU}_$AI(e){M(this,e)}};var at=pe.litHtmlPolyfillSupport;at?.(q,B),(pe.litHtmlVersions??=[]).push("3.3.3");var ze=(r,e,t)=>{let s=t?.renderBefore??e,i=s._$litPart$;if(i===void 0){let a=t?.renderBefore??null;s._$litPart$=i=new B(e.insertBefore(H(),a),a,void 0,t??{})}return i._$AI(r),i};var fe=globalThis,m=class extends y{constructor(){super(...arguments),this.renderOptions={host:this},this._$Do=void 0}createRenderRoot(){let e=super.createRenderRoot();return this.renderOptions.renderBefore??=e.firstChild,e}update(e){let t=this.render();this.hasUpdated||(this.renderOptions.isConnected=this.isConnected),super.update(e),this._$Do=ze(t,this.renderRoot,this.renderOptions)}connectedCallback(){super.connectedCallback(),this._$Do?.setConnected(!0)}disconnectedCallback(){super.disconnectedCallback(),this._$Do?.setConnected(!1)}render(){return E}};m._$litElement$=!0,m.finalized=!0,fe.litElementHydrateSupport?.({LitElement:m});var nt=fe.litElementPolyfillSupport;nt?.({LitElement:m});(fe.litElementVersions??=[]).push("4.2.2");function ot(r){return r&&r.config&&r.config.time_zone||void 0}function lt(r){return r&&(r.locale&&r.locale.language||r.language)||"en"}var ge=new Map;function be(r,e){let t=ot(r),s=lt(r),i=`${s}|${t}|${JSON.stringify(e)}`;if(!ge.has(i)){let a;try{a=new Intl.DateTimeFormat(s,{...e,timeZone:t})}catch{a=new Intl.DateTimeFormat("en",{...e,timeZone:t})}ge.set(i,a)}return ge.get(i)}function x(r,e){let t=new Date(r);return Number.isNaN(t.getTime())?"":be(e,{dateStyle:"medium",timeStyle:"short"}).format(t)}function Ue(r,e){let t=new Date(r);return Number.isNaN(t.getTime())?"":be(e,{timeStyle:"short"}).format(t)}function X(r){return Object.entries(r||{}).filter(([,e])=>e>0).sort((e,t)=>t[1]-e[1]||e[0].localeCompare(t[0])).map(([e,t])=>`${t} ${t===1?e:ct(e)}`).join(", ")}function ct(r){return r==="bus"?"buses":r.endsWith("s")?r:r==="person"?"people":r.endsWith("y")&&!/[aeiou]y$/.test(r)?`${r.slice(0,-1)}ies`:/(ch|sh|x)$/.test(r)?`${r}es`:`${r}s`}function De(r,e){let t=Math.max(0,Math.round((new Date(e)-new Date(r))/1e3));return Number.isFinite(t)?t<60?`${t} s`:`${Math.floor(t/60)} min ${t%60} s`:""}function je(r,e){let t=new Date(r);return Number.isNaN(t.getTime())?"":be(e,{weekday:"short",day:"numeric",month:"short",year:"numeric"}).format(t)}var He=["low","medium","high","critical"],ht={low:{background:"#2e7d32",text:"#ffffff",label:"Low"},medium:{background:"#fdd835",text:"#212121",label:"Medium"},high:{background:"#ef6c00",text:"#000000",label:"High"},critical:{background:"#b71c1c",text:"#ffffff",label:"Critical"}},dt={background:"#616161",text:"#ffffff",label:"Unknown"};function W(r){return ht[r]||dt}var Fe=[{value:"",label:"Any level"},{value:"medium",label:"Medium and above"},{value:"high",label:"High and above"},{value:"critical",label:"Critical only"}];function ee(r){let e=He.indexOf(r);return e<0?[]:He.slice(e)}var pt={false_alarm:"false alarm",expected:"expected",threat:"a threat"},ut=r=>r.known?"known":r.enrollable?"enrollable":"gone",qe=(r,e,t)=>(r||[]).map(s=>s.track_id===e?{...s,known:!0,name:t,enrollable:!1}:s),C=class extends m{constructor(){super(),this._message=null,this._busy=!1,this._clipFailed=!1}show(){this._message=null,this._clipFailed=!1;let e=this.renderRoot.querySelector("dialog");e&&!e.open&&e.showModal()}close(){let e=this.renderRoot.querySelector("dialog");e&&e.open&&e.close()}notify(e,t=!1){this._busy=!1,this._message={text:e,error:t}}willUpdate(e){let t=e.get("event");e.has("event")&&t&&this.event&&t.id!==this.event.id&&(this._clipFailed=!1,this._message=null,this._editing=null,this._timeline=null)}showTimeline(e,t,s=null){!this._timeline||this._timeline.id!==e||(this._timeline={id:e,history:t?t.history||[]:[],error:s})}_toggleTimeline(e){if(this._timeline&&this._timeline.id===e){this._timeline=null;return}this._timeline={id:e,loading:!0},this.dispatchEvent(new CustomEvent("hsi-action",{detail:{action:"entity_history",event:this.event,entity:e}}))}_renderTimeline(e){let t=this._timeline;return!t||t.id!==e?l:t.loading?o`<p class="muted timeline-status">Loading the timeline…</p>`:t.error?o`<p class="error timeline-status" role="alert">${t.error}</p>`:t.history.length?o`<ol class="entity-timeline" aria-label="Timeline">
      ${t.history.map(s=>{let i=o`<time datetime=${s.seen_at}>${x(s.seen_at,this.hass)}</time>`,a=s.risk_level?o`<span class="chip level" style=${W(s.risk_level)}>${s.risk_level}</span>`:l,n=o`${i} · <b>${s.camera}</b> ${a} ${s.summary||""}`;return o`<li data-camera=${s.camera} data-event-id=${s.event_id||""}>
          ${s.event_id&&s.event_id!==this.event?.id?o`<button class="link" @click=${()=>this._open(s)}>${n}</button>`:n}
        </li>`})}
    </ol>`:o`<p class="muted timeline-status">No sightings are stored any more.</p>`}_renderEntities(e){let t=new Map;for(let s of e)t.has(s.entity_id)||t.set(s.entity_id,[]),t.get(s.entity_id).push(s);return[...t.entries()].map(([s,i])=>this._renderEntity(s,i))}_renderEntity(e,t){let s=t[0],i=this._editing&&this._editing.id===e?this._editing:null,a=s.entity_name||(s.known?`Known ${s.label}`:`Unnamed ${s.label}`),n=l;if(e&&i&&i.forget)n=o`<span class="confirm" role="alert"
        >Forget this ${s.label}? Its sightings and embeddings are deleted.
        <button class="forget-yes" @click=${()=>this._entity("forget_entity",s)} ?disabled=${this._busy}>
          Forget
        </button>
        <button @click=${()=>this._editing=null}>Cancel</button></span
      >`;else if(e&&i)n=o`<form class="naming" @submit=${c=>this._saveName(c,s)}>
        <input name="name" maxlength="64" required .value=${s.entity_name||""}
          placeholder=${s.label==="person"?"e.g. Dad":"e.g. our car"} aria-label="Name" />
        <button class="save" type="submit" ?disabled=${this._busy}>Save</button>
        <button type="button" @click=${()=>this._editing=null}>Cancel</button>
      </form>`;else if(e){let c=this._timeline&&this._timeline.id===e;n=o`<button class="name" @click=${()=>this._editing={id:e}}>
          ${s.entity_name?"Rename":"Name"}
        </button>
        <button class="forget" @click=${()=>this._editing={id:e,forget:!0}}>Forget</button>
        <button class="timeline-toggle" aria-expanded=${c?"true":"false"} @click=${()=>this._toggleTimeline(e)}>
          ${c?"Hide timeline":"Timeline"}
        </button>`}return o`<li class="entity" data-entity-id=${e||""}>
      <div class="who"><b class="entity-name">${a}</b> ${n}</div>
      <ul class="sightings">
        ${t.map(c=>this._renderSighting(c))}
      </ul>
      ${this._renderTimeline(e)}
    </li>`}_saveName(e,t){e.preventDefault();let s=e.target.querySelector("input").value.trim();s&&this._entity("name_entity",t,s)}_entity(e,t,s){this._busy=!0,this._message=null,this._editing=null,this.dispatchEvent(new CustomEvent("hsi-action",{detail:{action:e,event:this.event,entity:t.entity_id,label:t.label,name:s}}))}_renderSighting(e){let t=typeof e.similarity=="number"?` \xB7 ${Math.round(e.similarity*100)} % alike`:"",s=o`<b>${e.camera_name||e.camera}</b> ·
      <time datetime=${e.seen_at}>${x(e.seen_at,this.hass)}</time>${t}`;return o`<li data-camera=${e.camera}>
      ${e.event_id?o`<button class="link" @click=${()=>this._open(e)}>${s}</button>`:s}
    </li>`}_renderFace(e){let t=this._editing&&this._editing.face===e.track_id,s=ut(e),i;return s==="known"?i=o`<span class="face-name">Known: <b>${e.name||"?"}</b></span>`:t?i=o`<form class="naming" @submit=${a=>this._saveFace(a,e)}>
        <input name="name" maxlength="64" required placeholder="e.g. Alex" aria-label="Name" />
        <button class="save" type="submit" ?disabled=${this._busy}>Enrol</button>
        <button type="button" @click=${()=>this._editing=null}>Cancel</button>
      </form>`:s==="enrollable"?i=o`<button class="enrol" @click=${()=>this._editing={face:e.track_id}}>Enrol…</button>`:i=o`<span class="muted">Unknown (its face is no longer stored)</span>`,o`<li class="face" data-track-id=${e.track_id} data-known=${e.known?"true":"false"}>
      <div class="who"><b>Person (track ${e.track_id})</b> ${i}</div>
    </li>`}_saveFace(e,t){e.preventDefault();let s=e.target.querySelector("input").value.trim();s&&(this._busy=!0,this._message=null,this._editing=null,this.dispatchEvent(new CustomEvent("hsi-action",{detail:{action:"enrol_face",event:this.event,track:t.track_id,name:s}})))}_open(e){this.dispatchEvent(new CustomEvent("hsi-action",{detail:{action:"open",event:{id:e.event_id,camera:e.camera}}}))}_act(e){this._busy=!0,this._message=null,this.dispatchEvent(new CustomEvent("hsi-action",{detail:{action:e,event:this.event}}))}render(){let e=this.event;return o`<dialog
      aria-labelledby="hsi-detail-title"
      @close=${()=>this.dispatchEvent(new CustomEvent("closed"))}
      @click=${t=>t.target.localName==="dialog"&&this.close()}
    >
      ${e?this._renderEvent(e):l}
    </dialog>`}_renderEvent(e){let t=W(e.risk_level),s=e.camera_name||e.camera,i=(e.media_urls||[]).filter(n=>/\.(jpe?g|png)(\?|$)/i.test(n)),a=e.sightings||[];return o`<article>
      <header>
        <h2 id="hsi-detail-title">${s}</h2>
        <button class="close" @click=${()=>this.close()} aria-label="Close">✕</button>
      </header>
      <p class="meta">
        <span
          class="badge"
          style="background:${t.background};color:${t.text}"
          data-level=${e.risk_level||"unknown"}
          ><b>${e.risk_score}</b> ${t.label}</span
        >
        <time datetime=${e.started_at}>${x(e.started_at,this.hass)}</time>
        <span>${De(e.started_at,e.ended_at)}</span>
        <span>${X(e.objects)}</span>
        <span class="state">${e.reviewed?"\u2713 Reviewed":"\u25CF New"}</span>
      </p>
      <img class="snapshot" src=${e.snapshot_url||""} alt="Snapshot of the event, boxes drawn" />
      ${i.length>1?o`<div class="frames">
            ${i.map((n,c)=>o`<a href=${n} target="_blank" rel="noopener"
                ><img loading="lazy" src=${n} alt="Frame ${c+1} of ${i.length}"
              /></a>`)}
          </div>`:l}
      <h3>Clip</h3>
      ${this._clipFailed?o`<p class="muted">No clip is available for this event.</p>`:o`<video
            class="clip"
            controls
            playsinline
            preload="none"
            poster=${e.snapshot_url||""}
            src=${e.clip_url||""}
            @error=${()=>this._clipFailed=!0}
          ></video>`}
      <h3>Summary</h3>
      <p>${e.summary}</p>
      <h3>Why this score</h3>
      <p class="reasoning">${e.reasoning||"\u2014"}</p>
      <p class="muted">Scored by ${e.assessed_by||"?"}${e.model&&e.model!==e.assessed_by?o` (${e.model})`:l}${e.fast_path?" \xB7 fast path":""}</p>
      ${(e.zones||[]).length?o`<h3>Zones</h3>
            <p class="chips">${e.zones.map(n=>o`<span class="chip">${n}</span>`)}</p>`:l}
      <h3>Seen on other cameras</h3>
      ${a.length?o`<ul class="entities">
            ${this._renderEntities(a)}
          </ul>`:o`<p class="muted">
            ${"sightings"in e?"Not seen on other cameras within a day.":"detections"in e?"This server does not report re-ID sightings yet.":"Loading\u2026"}
          </p>`}
      ${(e.faces||[]).length?o`<h3>Faces</h3>
            <ul class="entities faces">
              ${e.faces.map(n=>this._renderFace(n))}
            </ul>`:l}
      ${e.notes?o`<h3>Notes</h3><p>${e.notes}</p>`:l}
      ${e.detail_error?o`<p class="error" role="alert">${e.detail_error}</p>`:l}
      ${this._message?o`<p class=${this._message.error?"error":"ok"} role="status">${this._message.text}</p>`:l}
      ${e.feedback?o`<p class="answer" data-feedback=${e.feedback}>Your answer: <b>${pt[e.feedback]||e.feedback}</b></p>`:l}
      <footer>
        ${e.reviewed?o`<button @click=${()=>this._act("unreviewed")} ?disabled=${this._busy}>Mark not reviewed</button>`:o`<button class="primary" @click=${()=>this._act("reviewed")} ?disabled=${this._busy}>
              Mark reviewed
            </button>`}
        <button
          class="false-alarm"
          aria-pressed=${e.feedback==="false_alarm"?"true":"false"}
          @click=${()=>this._act("false_alarm")}
          ?disabled=${this._busy}
        >
          False alarm
        </button>
        <button
          class="expected"
          aria-pressed=${e.feedback==="expected"?"true":"false"}
          @click=${()=>this._act("expected")}
          ?disabled=${this._busy}
        >
          Expected
        </button>
        <button class="snooze" @click=${()=>this._act("snooze")} ?disabled=${this._busy}>Snooze camera 1 h</button>
      </footer>
    </article>`}};f(C,"properties",{hass:{attribute:!1},event:{attribute:!1},_message:{state:!0},_busy:{state:!0},_clipFailed:{state:!0},_editing:{state:!0},_timeline:{state:!0}}),f(C,"styles",b`dialog{width: min(760px,calc(100vw - 32px));max-height: calc(100vh - 32px);padding: 0;border: 0;border-radius: var(--ha-card-border-radius,12px);background: var(--card-background-color,#fff);color: var(--primary-text-color,#212121);box-shadow: 0 8px 32px rgba(0,0,0,0.4);}dialog::backdrop{background: rgba(0,0,0,0.55);}article{padding: 16px 20px 20px;}header{display: flex;align-items: center;justify-content: space-between;}h2{margin: 0;font-size: 1.3em;font-weight: 500;}h3{margin: 16px 0 4px;font-size: 0.95em;font-weight: 600;color: var(--secondary-text-color,#555);}p{margin: 4px 0;}.meta{display: flex;flex-wrap: wrap;align-items: center;gap: 6px 12px;color: var(--secondary-text-color,#555);}.badge{border-radius: 10px;padding: 1px 8px;white-space: nowrap;}.snapshot,.clip{display: block;width: 100%;max-height: 56vh;object-fit: contain;margin-top: 8px;border-radius: 8px;background: #000;}.frames{display: flex;gap: 6px;overflow-x: auto;margin-top: 6px;}.frames img{height: 64px;border-radius: 4px;}.reasoning{white-space: pre-line;}.muted{color: var(--secondary-text-color,#555);}.chips{display: flex;flex-wrap: wrap;gap: 6px;}.chip{border: 1px solid var(--divider-color,#ccc);border-radius: 12px;padding: 1px 10px;}.entities{list-style: none;margin: 4px 0;padding: 0;}.who{display: flex;flex-wrap: wrap;align-items: center;gap: 6px;}.who button,.naming button,.confirm button{padding: 2px 10px;font-size: 0.9em;}.naming input{font: inherit;padding: 2px 6px;border: 1px solid var(--divider-color,#ccc);border-radius: 6px;background: var(--card-background-color,#fff);color: inherit;}.sightings{margin: 4px 0;padding-left: 20px;}.entity-timeline{margin: 4px 0 8px;padding-left: 20px;border-left: 2px solid var(--divider-color,#ccc);max-height: 220px;overflow-y: auto;}.entity-timeline li{margin: 2px 0;}.entity-timeline .level{font-size: 0.8em;padding: 0 6px;}.entity-timeline button.link{border: 0;padding: 2px 0;border-radius: 0;color: inherit;text-align: left;text-decoration: underline dotted;}.sightings button.link{border: 0;padding: 2px 0;border-radius: 0;color: inherit;text-align: left;text-decoration: underline dotted;}.answer{margin-top: 12px;}button[aria-pressed="true"]{background: var(--secondary-background-color,rgba(3,169,244,0.12));font-weight: 600;}.error{color: var(--error-color,#b71c1c);}.ok{color: var(--success-color,#2e7d32);}footer{display: flex;flex-wrap: wrap;gap: 8px;margin-top: 16px;}button{font: inherit;border-radius: 18px;padding: 6px 14px;border: 1px solid var(--primary-color,#03a9f4);background: none;color: var(--primary-color,#0277bd);cursor: pointer;}button.primary{background: var(--primary-color,#0277bd);color: var(--text-primary-color,#fff);}button:disabled{opacity: 0.5;cursor: default;}button.close{border: 0;font-size: 1.2em;color: var(--secondary-text-color,#555);}@media (max-width: 600px){dialog{width: 100vw;max-width: 100vw;height: 100vh;max-height: 100vh;border-radius: 0;}article{padding: 12px;}}`);var _="home_security_intelligence";function g(r){return r?typeof r=="string"?r:r.message||r.code||String(r):"unknown error"}function L(r){let e=W(r.risk_level);return o`<span
    class="badge"
    style="background:${e.background};color:${e.text}"
    data-level=${r.risk_level||"unknown"}
    aria-label="Risk ${r.risk_score}, ${e.label}"
    ><b>${r.risk_score}</b> ${e.label}</span
  >`}var T=(r,e)=>r?{...e,config_entry_id:r}:e,te=(r,e)=>r.dispatchEvent(new CustomEvent("hsi-open",{detail:{event:e},bubbles:!0,composed:!0})),O=b`:host([hidden]),[hidden]{display: none !important;}ul{list-style: none;margin: 0;padding: 0;}.row{display: flex;gap: 12px;width: 100%;padding: 8px;border: 0;border-radius: 8px;background: none;color: inherit;font: inherit;text-align: left;cursor: pointer;}.row:hover,.row:focus-visible{background: var(--secondary-background-color,rgba(127,127,127,0.12));}.thumb{flex: 0 0 auto;width: 112px;height: 63px;object-fit: cover;border-radius: 6px;background: var(--secondary-background-color,#e0e0e0);}.thumb.missing{visibility: hidden;}.text{display: flex;flex-direction: column;gap: 3px;min-width: 0;flex: 1;}.camera{font-weight: 600;color: var(--primary-text-color);}time,.muted{color: var(--secondary-text-color);}.badge{display: inline-block;border-radius: 10px;padding: 1px 8px;font-size: 0.95em;line-height: 1.5;white-space: nowrap;}.error{color: var(--error-color,#b71c1c);}input,select,button{font: inherit;}input:not([type="checkbox"]),select{color: var(--primary-text-color);background: var(--card-background-color,#fff);border: 1px solid var(--divider-color,#ccc);border-radius: 6px;padding: 4px 6px;}button.act{color: var(--primary-color,#0277bd);background: none;border: 1px solid currentColor;border-radius: 16px;padding: 4px 14px;cursor: pointer;}button:disabled{opacity: 0.5;cursor: default;}@media (max-width: 450px){.thumb{width: 84px;height: 56px;}}`;var se="hsi-events-card",$e={events:"Events",ask:"Ask",camera:"Cameras"},N={title:"Security events",show_filters:!0,unreviewed_only:!1,page_size:20,height:480,refresh_interval:60,views:Object.keys($e)},mt={reviewed:"Marked as reviewed.",unreviewed:"Marked as not reviewed.",false_alarm:"Marked as a false alarm: similar events on this camera will score lower.",expected:"Marked as expected: similar events on this camera will score lower.",threat:"Marked as a threat: similar events on this camera will score higher."},P=class extends m{constructor(){super(),this._events=[],this._cameras=[],this._cursor=null,this._loading=!1,this._error="",this._selected=null,this._generation=0,this._entryId=void 0}setConfig(e){if(!e||typeof e!="object")throw new Error("Invalid configuration");let t=Number(e.page_size??N.page_size);if(!Number.isInteger(t)||t<1||t>100)throw new Error("page_size must be a whole number from 1 to 100");if(e.level&&!ee(e.level).length)throw new Error("level must be one of low, medium, high, critical");let s=e.views??N.views;if(!Array.isArray(s)||!s.length||s.some(i=>!(i in $e)))throw new Error("views must list some of events, ask, camera");this._config={...N,...e,page_size:t,views:s},s.includes(this._view)||(this._view=s[0]),this._seen=new Set([this._view]),this._filters={camera:e.camera||"",level:e.level||"",unreviewed:!!e.unreviewed_only},this.hass&&this._reload()}static getConfigElement(){return document.createElement("hsi-events-card-editor")}static getStubConfig(){return{title:N.title}}getCardSize(){return Math.max(3,Math.round((this._config?.height??N.height)/50)+1)}getGridOptions(){return{columns:12,min_columns:6,rows:8,min_rows:4}}connectedCallback(){super.connectedCallback(),this.hass&&this._config&&this._start()}disconnectedCallback(){super.disconnectedCallback(),this._stop()}updated(e){e.has("hass")&&this.hass&&this._config&&!this._started&&this._start(),!this._observer&&this._sentinel&&this._observe(),(e.has("_events")||e.has("_loading"))&&this._fill()}_fill(){let e=this._scroller;!e||!this._cursor||this._loading||this._error||e.scrollHeight<=e.clientHeight+200&&this._loadMore()}_start(){this._started=!0,this._reload(),this._subscribe();let e=Math.max(10,Number(this._config.refresh_interval)||N.refresh_interval);this._timer=setInterval(()=>this._refresh(),e*1e3),this._onReady=()=>this._refresh(),this.hass.connection.addEventListener("ready",this._onReady)}_stop(){this._started=!1,clearInterval(this._timer),this._unsubscribe&&this._unsubscribe.then(e=>e()).catch(()=>{}),this._unsubscribe=void 0,this._onReady&&this.hass&&this.hass.connection.removeEventListener("ready",this._onReady),this._observer&&this._observer.disconnect(),this._observer=void 0}_subscribe(){let e={type:`${_}/subscribe`};this._config.config_entry_id&&(e.config_entry_id=this._config.config_entry_id),this._unsubscribe=this.hass.connection.subscribeMessage(t=>this._onPush(t),e),this._unsubscribe.catch(t=>{this._unsubscribe=void 0,this._error=`Live updates unavailable: ${t.message||t.code||t}`})}_query(e){let t={type:`${_}/events`,limit:this._config.page_size};return this._config.config_entry_id&&(t.config_entry_id=this._config.config_entry_id),this._filters.camera&&(t.camera=this._filters.camera),this._filters.level&&(t.level=ee(this._filters.level).join(",")),this._filters.unreviewed&&(t.reviewed=!1),e&&(t.cursor=e),t}async _reload(){let e=++this._generation;this._loading=!0;try{let t=await this.hass.callWS(this._query());if(e!==this._generation)return;this._apply(t,!1)}catch(t){e===this._generation&&(this._error=g(t))}finally{e===this._generation&&(this._loading=!1)}}async _refresh(){if(!this.hass||this._loading)return;let e=this._generation;try{let t=await this.hass.callWS(this._query());if(e!==this._generation)return;let s=t.events||[],i=new Set(s.map(c=>c.id)),a=s.length?s[s.length-1].started_at:null,n=this._events.filter(c=>!i.has(c.id)&&a&&c.started_at<a);this._events=[...s,...n],n.length||(this._cursor=t.next_cursor||null),this._cameras=t.cameras||this._cameras,this._error=""}catch(t){this._error=g(t)}}async _loadMore(){if(!this._cursor||this._loading)return;let e=this._generation;this._loading=!0;try{let t=await this.hass.callWS(this._query(this._cursor));e===this._generation&&this._apply(t,!0)}catch(t){e===this._generation&&(this._error=g(t))}finally{e===this._generation&&(this._loading=!1)}}_apply(e,t){this._entryId=e.config_entry_id;let s=e.events||[];if(t){let i=new Set(this._events.map(a=>a.id));this._events=[...this._events,...s.filter(a=>!i.has(a.id))]}else this._events=s;this._cursor=e.next_cursor||null,this._cameras=e.cameras||[],this._error=""}_matches(e){let t=this._filters;return!(t.camera&&e.camera!==t.camera||t.level&&!ee(t.level).includes(e.risk_level)||t.unreviewed&&e.reviewed)}_onPush(e){let t=e&&e.event;!t||!t.id||(this._upsert(t),this.renderRoot.querySelector("hsi-camera-view")?.upsert(t))}_upsert(e){let t=this._events.findIndex(i=>i.id===e.id),s=this._matches(e);if(t>=0){let i=[...this._events];s?i[t]={...i[t],...e}:i.splice(t,1),this._events=i}else s&&(this._events=[e,...this._events].sort((i,a)=>i.started_at<a.started_at?1:-1));this._selected&&this._selected.id===e.id&&(this._selected={...this._selected,...e})}_observe(){"IntersectionObserver"in window&&(this._observer=new IntersectionObserver(e=>{e.some(t=>t.isIntersecting)&&this._loadMore()},{root:this._scroller,rootMargin:"200px"}),this._observer.observe(this._sentinel))}get _scroller(){return this.renderRoot.querySelector(".timeline")}get _sentinel(){return this.renderRoot.querySelector(".sentinel")}_setFilter(e,t){this._filters={...this._filters,[e]:t},this._events=[],this._cursor=null,this._reload()}async _open(e){this._selected=e,await this.updateComplete;let t=this.renderRoot.querySelector("hsi-event-detail");t&&t.show(),await this._detail(e)}async _detail(e){try{let t={type:`${_}/event`,event_id:e.id};this._entryId&&(t.config_entry_id=this._entryId);let s=await this.hass.callWS(t);this._selected&&this._selected.id===e.id&&(this._selected={...e,...s})}catch(t){this._selected&&this._selected.id===e.id&&(this._selected={...this._selected,detail_error:g(t)})}}async _onAction(e){let{action:t,event:s}=e.detail,i=this._entryId?{config_entry_id:this._entryId}:{},a=this.renderRoot.querySelector("hsi-event-detail");try{if(t==="open"){let c=this._events.find(h=>h.id===s.id)||s;await this._open(c);return}if(t==="entity_history"){try{let c=await this.hass.callWS({type:`${_}/entity_history`,...i,reid_entity:e.detail.entity,limit:50});a?.showTimeline(e.detail.entity,c)}catch(c){a?.showTimeline(e.detail.entity,null,`Could not load the timeline: ${g(c)}`)}return}if(t==="name_entity"||t==="forget_entity"){let{entity:c,name:h}=e.detail,p={...i,reid_entity:c};t==="name_entity"&&Object.assign(p,{name:h,known:!0}),await this.hass.callService(_,t,p),await this._detail(s),a?.notify(t==="name_entity"?`Saved: this ${e.detail.label||"one"} is now known as ${h} (a known one is no stranger to the scoring).`:"Forgotten: its sightings and embeddings are deleted.");return}if(t==="enrol_face"){let{track:c,name:h}=e.detail;await this.hass.callService(_,"enrol_face",{...i,event_id:s.id,track_id:c,name:h}),await this._detail(s),this._selected&&this._selected.id===s.id&&(this._selected={...this._selected,faces:qe(this._selected.faces,c,h)}),a?.notify(`Enrolled: this face is now known as ${h} (recognised in the next events).`);return}if(t==="snooze"){await this.hass.callService(_,"snooze_camera",{...i,camera:s.camera,minutes:60}),a?.notify(`Alerts from ${s.camera_name||s.camera} are snoozed for 1 hour.`),this._refresh();return}let n=await this.hass.callWS({type:`${_}/review`,...i,event_id:s.id,action:t});this._upsert({...s,...n}),a?.notify(mt[t]||"Saved.")}catch(n){a?.notify(`Could not do that: ${g(n)}`,!0)}}_show(e){this._view=e,this._seen.add(e),e==="camera"&&this.renderRoot.querySelector("hsi-camera-view")?.reload()}_renderTabs(){let e=this._config.views;return e.length<2?l:o`<div class="tabs" role="tablist">
      ${e.map(t=>o`<button
          role="tab"
          data-view=${t}
          aria-selected=${this._view===t?"true":"false"}
          @click=${()=>this._show(t)}
        >
          ${$e[t]}
        </button>`)}
    </div>`}render(){if(!this._config)return l;let e=this._view,t=this._cameras.length?this._cameras:[];return o`
      <ha-card>
        <div class="header">
          <h2>${this._config.title}</h2>
          ${this._loading?o`<span class="spinner" role="status">Loading…</span>`:l}
        </div>
        ${this._renderTabs()}
        ${this._seen.has("ask")?o`<hsi-ask
              ?hidden=${e!=="ask"}
              .hass=${this.hass}
              .entryId=${this._entryId}
              @hsi-open=${s=>this._open(s.detail.event)}
            ></hsi-ask>`:l}
        ${this._seen.has("camera")?o`<hsi-camera-view
              ?hidden=${e!=="camera"}
              .hass=${this.hass}
              .entryId=${this._entryId}
              .cameras=${t}
              .camera=${this._config.camera}
              @hsi-open=${s=>this._open(s.detail.event)}
            ></hsi-camera-view>`:l}
        <div class="events" ?hidden=${e!=="events"}>
        ${this._config.show_filters?this._renderFilters():l}
        ${this._error?o`<p class="error" role="alert">${this._error}</p>`:l}
        <ul class="timeline" style="max-height:${Number(this._config.height)||N.height}px">
          ${this._events.map(s=>this._renderEvent(s))}
          ${!this._events.length&&!this._loading&&!this._error?o`<li class="empty">No events${this._filtered()?" match these filters":""}.</li>`:l}
          <li class="sentinel" aria-hidden="true"></li>
        </ul>
        ${this._cursor?o`<button class="more" @click=${()=>this._loadMore()} ?disabled=${this._loading}>
              Load older events
            </button>`:l}
        </div>
      </ha-card>
      <hsi-event-detail
        .hass=${this.hass}
        .event=${this._selected}
        @hsi-action=${s=>this._onAction(s)}
        @closed=${()=>this._selected=null}
      ></hsi-event-detail>
    `}_filtered(){return!!(this._filters.camera||this._filters.level||this._filters.unreviewed)}_renderFilters(){let e=this._filters;return o`<div class="filters">
      <label
        >Camera
        <select @change=${t=>this._setFilter("camera",t.target.value)}>
          <option value="" ?selected=${!e.camera}>All cameras</option>
          ${this._cameras.map(t=>o`<option value=${t.id} ?selected=${e.camera===t.id}>${t.name}</option>`)}
        </select></label
      >
      <label
        >Level
        <select @change=${t=>this._setFilter("level",t.target.value)}>
          ${Fe.map(t=>o`<option value=${t.value} ?selected=${e.level===t.value}>${t.label}</option>`)}
        </select></label
      >
      <label class="check"
        ><input
          type="checkbox"
          .checked=${e.unreviewed}
          @change=${t=>this._setFilter("unreviewed",t.target.checked)}
        />
        Unreviewed only</label
      >
    </div>`}_renderEvent(e){let t=e.camera_name||e.camera;return o`<li class="event ${e.reviewed?"reviewed":"new"}" data-event-id=${e.id}>
      <button class="row" @click=${()=>this._open(e)} aria-label="${t}, ${e.summary}">
        <img
          class="thumb"
          loading="lazy"
          src=${e.snapshot_url||""}
          alt="Snapshot from ${t}"
          @error=${s=>s.target.classList.add("missing")}
        />
        <span class="text">
          <span class="line1">
            <span class="camera">${t}</span>
            <time datetime=${e.started_at}>${x(e.started_at,this.hass)}</time>
          </span>
          <span class="summary">${e.summary}</span>
          <span class="line3">
            ${L(e)}
            <span class="objects">${X(e.objects)}</span>
            <span class="state">${e.reviewed?"\u2713 Reviewed":"\u25CF New"}</span>
          </span>
        </span>
      </button>
    </li>`}};f(P,"properties",{hass:{attribute:!1},_config:{state:!0},_events:{state:!0},_cameras:{state:!0},_cursor:{state:!0},_loading:{state:!0},_error:{state:!0},_filters:{state:!0},_selected:{state:!0},_view:{state:!0}}),f(P,"styles",[O,b`:host{display: block;}ha-card{overflow: hidden;}.tabs{display: flex;gap: 4px;padding: 0 12px 4px;border-bottom: 1px solid var(--divider-color,rgba(127,127,127,0.2));}.tabs button{font: inherit;background: none;border: 0;border-bottom: 2px solid transparent;padding: 6px 10px;color: var(--secondary-text-color);cursor: pointer;}.tabs button[aria-selected="true"]{color: var(--primary-color,#0277bd);border-bottom-color: currentColor;font-weight: 600;}.header{display: flex;align-items: center;justify-content: space-between;padding: 12px 16px 4px;}h2{margin: 0;font-size: 1.25em;font-weight: 500;color: var(--primary-text-color);}.spinner{font-size: 0.85em;color: var(--secondary-text-color);}.filters{display: flex;flex-wrap: wrap;gap: 8px 16px;padding: 4px 16px 8px;font-size: 0.9em;color: var(--secondary-text-color);}.filters label{display: flex;align-items: center;gap: 6px;}.error{margin: 0 16px 8px;}time{white-space: nowrap;}.timeline{padding: 0 8px 8px;overflow-y: auto;}.event + .event{border-top: 1px solid var(--divider-color,rgba(127,127,127,0.2));}.line1{display: flex;justify-content: space-between;gap: 8px;font-size: 0.9em;}.summary{color: var(--primary-text-color);overflow: hidden;display: -webkit-box;-webkit-line-clamp: 2;-webkit-box-orient: vertical;}.line3{display: flex;align-items: center;flex-wrap: wrap;gap: 8px;font-size: 0.85em;color: var(--secondary-text-color);}.reviewed .state{color: var(--secondary-text-color);}.new .state{color: var(--primary-text-color);font-weight: 600;}.reviewed .row{opacity: 0.8;}.empty{padding: 16px 8px;color: var(--secondary-text-color);}.sentinel{height: 1px;}.more{display: block;margin: 0 auto 12px;font: inherit;color: var(--primary-color,#03a9f4);background: none;border: 1px solid currentColor;border-radius: 16px;padding: 4px 16px;cursor: pointer;}@media (max-width: 450px){.line1{flex-direction: column;gap: 0;}}`]);var _t=[{name:"title",selector:{text:{}}},{name:"config_entry_id",selector:{config_entry:{integration:"home_security_intelligence"}}},{name:"camera",selector:{text:{}}},{name:"level",selector:{select:{mode:"dropdown",options:[{value:"low",label:"Any level"},{value:"medium",label:"Medium and above"},{value:"high",label:"High and above"},{value:"critical",label:"Critical only"}]}}},{name:"views",selector:{select:{multiple:!0,options:[{value:"events",label:"Events"},{value:"ask",label:"Ask"},{value:"camera",label:"Cameras (tripwires, timeline)"}]}}},{type:"grid",name:"",schema:[{name:"unreviewed_only",selector:{boolean:{}}},{name:"show_filters",selector:{boolean:{}}}]},{type:"grid",name:"",schema:[{name:"page_size",selector:{number:{min:1,max:100,mode:"box"}}},{name:"height",selector:{number:{min:160,max:2e3,step:20,mode:"box",unit_of_measurement:"px"}}},{name:"refresh_interval",selector:{number:{min:10,max:3600,mode:"box",unit_of_measurement:"s"}}}]}],ft={title:"Title",config_entry_id:"Server (only with several)",camera:"Camera (folder name) shown first",level:"Level shown first",unreviewed_only:"Unreviewed only",show_filters:"Show filters",page_size:"Events per page",height:"Timeline height",refresh_interval:"Fallback refresh",views:"Tabs (the first opens)"},V=class extends m{setConfig(e){this._config={...e}}render(){if(!this.hass||!this._config)return l;let e={show_filters:!0,unreviewed_only:!1,page_size:20,height:480,refresh_interval:60,...this._config};return o`<ha-form
      .hass=${this.hass}
      .data=${e}
      .schema=${_t}
      .computeLabel=${t=>ft[t.name]||t.name}
      @value-changed=${t=>this._changed(t)}
    ></ha-form>`}_changed(e){e.stopPropagation();let t={...e.detail.value};for(let s of Object.keys(t))(t[s]===""||t[s]===void 0||t[s]===null)&&delete t[s];t.level==="low"&&delete t.level,Array.isArray(t.views)&&!t.views.length&&delete t.views,this._config=t,this.dispatchEvent(new CustomEvent("config-changed",{detail:{config:t},bubbles:!0,composed:!0}))}};f(V,"properties",{hass:{attribute:!1},_config:{state:!0}});function gt(r,e){let t=new Map(e.map((s,i)=>[String(s.id),i+1]));return String(r||"").replace(/\[([^\]]+)\]/g,(s,i)=>{let a=i.split(/[\s,;]+/).filter(Boolean).map(n=>t.get(n));return a.length&&a.every(Boolean)?`[${a.join(", ")}]`:s})}function bt(r){let e=r||{},t=[e.time_phrase,...e.cameras||[],...e.zones||[],...e.categories||[]];return e.known===!0&&t.push("known"),e.known===!1&&t.push("unknown"),e.min_level&&t.push(`${e.min_level} and above`),t.filter(Boolean).join(" \xB7 ")}var I=class extends m{async _ask(e){e.preventDefault();let t=this.renderRoot.querySelector("input").value.trim();if(!(!t||this._busy)){this._busy=!0,this._error="";try{this._result=await this.hass.callWS(T(this.entryId,{type:`${_}/ask`,question:t}))}catch(s){this._error=g(s)}finally{this._busy=!1}}}render(){let e=this._result,t=e&&e.citations||[],s=e&&bt(e.understood);return o`<form @submit=${i=>this._ask(i)}>
        <input
          type="search"
          name="question"
          maxlength="500"
          placeholder="Ask, e.g. was anyone at the back door last night?"
          aria-label="Question about the events"
          ?disabled=${this._busy}
        />
        <button class="act" type="submit" ?disabled=${this._busy}>${this._busy?"Asking\u2026":"Ask"}</button>
      </form>
      ${this._error?o`<p class="error" role="alert">${this._error}</p>`:l}
      ${e?o`<p class="answer" role="status">${gt(e.answer,t)}</p>
            ${s?o`<p class="muted small">Searched: ${s}</p>`:l}
            <ul class="citations">
              ${t.map((i,a)=>this._renderCitation(i,a+1))}
            </ul>
            <p class="muted small">Answered by ${e.answered_by||"extractive"}</p>`:l}`}_renderCitation(e,t){let s=e.camera_name||e.camera;return o`<li class="citation" data-event-id=${e.id}>
      <button class="row" @click=${()=>te(this,e)} aria-label="${t}: ${s}, ${e.summary}">
        <span class="num">${t}</span>
        <img
          class="thumb"
          loading="lazy"
          src=${e.snapshot_url||""}
          alt="Snapshot from ${s}"
          @error=${i=>i.target.classList.add("missing")}
        />
        <span class="text">
          <span><span class="camera">${s}</span> · <time datetime=${e.started_at}>${x(e.started_at,this.hass)}</time></span>
          <span>${e.summary}</span>
          <span>${L(e)}</span>
        </span>
      </button>
    </li>`}};f(I,"properties",{hass:{attribute:!1},entryId:{attribute:!1},_result:{state:!0},_busy:{state:!0},_error:{state:!0}}),f(I,"styles",[O,b`:host{display: block;padding: 4px 16px 12px;}form{display: flex;gap: 8px;}form input{flex: 1;min-width: 0;padding: 6px 10px;}.answer{white-space: pre-line;color: var(--primary-text-color);margin: 12px 0 4px;}.small{font-size: 0.85em;margin: 4px 0;}.num{font-weight: 600;min-width: 1.2em;color: var(--secondary-text-color);}`]);var $t={loitering:"Loitering",perimeter_walk:"Perimeter walk",repeated_visits:"Repeated visits",tailgating:"Tailgating",approach_retreat:"Approach and retreat"},Be=r=>Math.round(Math.min(1,Math.max(0,r))*1e3)/1e3;function We(r,e,t=.06){let[s,i]=[e[0]-r[0],e[1]-r[1]],a=Math.hypot(s,i)||1,n=[(r[0]+e[0])/2,(r[1]+e[1])/2];return[n,[n[0]-i/a*t,n[1]+s/a*t]]}function yt(r,e){let t=[];for(let s of r){let i=je(s.started_at,e);(!t.length||t[t.length-1].day!==i)&&t.push({day:i,events:[]}),t[t.length-1].events.push(s)}return t}var z=class extends m{constructor(){super(),this._events=[],this._tripwires=[],this._draft=null}willUpdate(){let e=this.cameras||[];!this._camera&&e.length&&(this._camera=this.camera||e[0].id)}updated(e){e.has("_camera")&&this._camera&&this.hass&&this.reload()}upsert(e){if(!e||e.camera!==this._camera)return;let t=this._events.filter(s=>s.id!==e.id);this._events=[e,...t].sort((s,i)=>s.started_at<i.started_at?1:-1)}async reload(e){let t=this._camera;this._error="";try{let s=T(this.entryId,{type:`${_}/events`,camera:t,limit:50});e&&(s.cursor=e);let[i,a]=await Promise.all([this.hass.callWS(s),e?null:this.hass.callWS(T(this.entryId,{type:`${_}/tripwires`,camera:t}))]);if(t!==this._camera)return;this._events=e?[...this._events,...i.events||[]]:i.events||[],this._cursor=i.next_cursor||null,a&&(this._tripwires=a.tripwires||[]),e||(this._noImage=!1)}catch(s){this._error=g(s)}}async _call(e,t,s){this._busy=!0,this._error="",this._message="";try{await this.hass.callService(_,e,T(this.entryId,t)),this._message=s,this._draft=null;let i=await this.hass.callWS(T(this.entryId,{type:`${_}/tripwires`,camera:this._camera}));this._tripwires=i.tripwires||[]}catch(i){this._error=`Could not do that: ${g(i)}`}finally{this._busy=!1}}_point(e){let t=this._draft;if(!t||t.points.length>=2)return;let s=e.currentTarget.getBoundingClientRect(),i=[Be((e.clientX-s.left)/s.width),Be((e.clientY-s.top)/s.height)];this._draft={points:[...t.points,i]}}_save(e){e.preventDefault();let t=this.renderRoot.querySelector("input[name=name]").value.trim();if(!t)return;let[s,i]=this._draft.points;this._call("set_tripwire",{camera:this._camera,name:t,a:s,b:i},`Tripwire "${t}" saved.`)}render(){let e=this.cameras||[],t=this._events.find(s=>s.snapshot_url);return o`<div class="bar">
        <label
          >Camera
          <select @change=${s=>this._camera=s.target.value}>
            ${e.map(s=>o`<option value=${s.id} ?selected=${s.id===this._camera}>${s.name}</option>`)}
          </select></label
        >
      </div>
      ${this._error?o`<p class="error" role="alert">${this._error}</p>`:l}
      <h3>Tripwires</h3>
      <figure class="scene ${this._draft?"drawing":""}" @click=${s=>this._point(s)}>
        ${t&&!this._noImage?o`<img src=${t.snapshot_url} alt="Latest snapshot of this camera" @error=${()=>this._noImage=!0} />`:o`<div class="placeholder">No snapshot yet</div>`}
        <svg viewBox="0 0 1 1" preserveAspectRatio="none" aria-hidden="true">
          ${this._tripwires.map(s=>this._renderWire(s))} ${this._renderDraft()}
        </svg>
        ${this._tripwires.map(s=>{let[i]=We(s.a,s.b);return o`<span class="label" style="left:${i[0]*100}%;top:${i[1]*100}%">${s.name}</span>`})}
      </figure>
      ${this._renderDrawing()}
      ${this._message?o`<p class="ok" role="status">${this._message}</p>`:l}
      <ul class="tripwires">
        ${this._tripwires.map(s=>o`<li class="tripwire" data-tripwire-id=${s.id}>
            <span><b>${s.name}</b>${s.enabled===!1?" (off)":""}
              <span class="muted">(${s.a.join(", ")}) → (${s.b.join(", ")})</span></span>
            <button class="act delete" ?disabled=${this._busy}
              @click=${()=>this._call("delete_tripwire",{tripwire_id:String(s.id)},`Tripwire "${s.name}" deleted.`)}
            >Delete</button>
          </li>`)}
        ${this._tripwires.length?l:o`<li class="muted">No tripwires on this camera.</li>`}
      </ul>
      <h3>Timeline</h3>
      ${yt(this._events,this.hass).map(s=>o`<h4>${s.day}</h4>
          <ul class="timeline">
            ${s.events.map(i=>this._renderItem(i))}
          </ul>`)}
      ${this._events.length?l:o`<p class="muted">No events on this camera.</p>`}
      ${this._cursor?o`<button class="act" @click=${()=>this.reload(this._cursor)}>Load older events</button>`:l}`}_renderWire(e){let[t,s]=We(e.a,e.b);return _e`<g class=${e.enabled===!1?"wire off":"wire"}>
      <line x1=${e.a[0]} y1=${e.a[1]} x2=${e.b[0]} y2=${e.b[1]} />
      <line class="in" x1=${t[0]} y1=${t[1]} x2=${s[0]} y2=${s[1]} />
    </g>`}_renderDraft(){let e=this._draft?this._draft.points:[];if(!e.length)return l;let[t,s]=[e[0],e[1]||e[0]];return _e`<line class="draft" x1=${t[0]} y1=${t[1]} x2=${s[0]} y2=${s[1]} />`}_renderDrawing(){let e=this._draft;if(!e)return o`<button class="act draw" @click=${()=>this._draft={points:[]}}>Draw a tripwire</button>`;let t=o`<button class="act" type="button" @click=${()=>this._draft=null}>Cancel</button>`;if(e.points.length<2){let s=e.points.length?"Click where it ends.":"Click where the line starts.";return o`<p class="hint" role="status">${s} Crossing it from its left to its right (seen from the start) is "in". ${t}</p>`}return o`<form class="hint" @submit=${s=>this._save(s)}>
      <input name="name" maxlength="64" placeholder="Name, e.g. Back fence" aria-label="Tripwire name" required />
      <button class="act" type="submit" ?disabled=${this._busy}>Save tripwire</button> ${t}
    </form>`}_renderItem(e){let t=e.behaviours||[];return o`<li class="item" data-event-id=${e.id}>
      <button class="row" @click=${()=>te(this,e)}>
        <time datetime=${e.started_at}>${Ue(e.started_at,this.hass)}</time>
        <span class="text">
          <span>${L(e)} ${e.summary}</span>
          ${t.map(s=>o`<span class="behaviour" data-kind=${s.kind}
              ><b>${$t[s.kind]||s.kind}</b> ${s.explanation||""}</span
            >`)}
        </span>
      </button>
    </li>`}};f(z,"properties",{hass:{attribute:!1},entryId:{attribute:!1},cameras:{attribute:!1},camera:{attribute:!1},_camera:{state:!0},_events:{state:!0},_cursor:{state:!0},_tripwires:{state:!0},_draft:{state:!0},_noImage:{state:!0},_busy:{state:!0},_error:{state:!0},_message:{state:!0}}),f(z,"styles",[O,b`:host{display: block;padding: 4px 16px 12px;}h3{margin: 12px 0 4px;font-size: 0.95em;color: var(--secondary-text-color);}h4{margin: 8px 0 2px;font-size: 0.9em;font-weight: 500;}.scene{position: relative;width: fit-content;max-width: 100%;margin: 0;line-height: 0;border-radius: 8px;overflow: hidden;background: #000;}.scene.drawing{cursor: crosshair;outline: 2px dashed var(--primary-color,#03a9f4);}.scene img{display: block;max-width: 100%;max-height: 360px;}.placeholder{width: 480px;max-width: 100%;aspect-ratio: 16 / 9;line-height: normal;display: grid;place-items: center;color: #ccc;}svg{position: absolute;inset: 0;width: 100%;height: 100%;pointer-events: none;}line{stroke: #ffeb3b;stroke-width: 3;vector-effect: non-scaling-stroke;stroke-linecap: round;}line.in{stroke-dasharray: 4 3;}.off line{stroke: #9e9e9e;}line.draft{stroke: #03a9f4;}.label{position: absolute;transform: translate(-50%,-130%);line-height: 1.3;padding: 0 6px;border-radius: 4px;background: rgba(0,0,0,0.7);color: #fff;font-size: 0.8em;white-space: nowrap;pointer-events: none;}.tripwire{display: flex;justify-content: space-between;align-items: center;gap: 8px;padding: 4px 0;}.hint,.draw{margin: 8px 0;}.ok{color: var(--success-color,#2e7d32);}.item .row{align-items: baseline;}.item time{flex: 0 0 4.5em;}.behaviour{font-size: 0.9em;color: var(--secondary-text-color);}.behaviour b{color: var(--primary-text-color);font-weight: 600;}`]);var K=(r,e)=>{customElements.get(r)||customElements.define(r,e)};K("hsi-event-detail",C);K("hsi-events-card-editor",V);K("hsi-ask",I);K("hsi-camera-view",z);K(se,P);window.customCards=window.customCards||[];window.customCards.some(r=>r.type===se)||window.customCards.push({type:se,name:"Security events",description:"Home Security Intelligence: a timeline of scored camera events with snapshots, clips and review; ask the history; tripwires and a timeline per camera.",preview:!1,documentationURL:"https://github.com/home-security-intelligence/hsi/blob/main/docs/home_assistant.md"});
/*! Bundled license information:

@lit/reactive-element/css-tag.js:
  (**
   * @license
   * Copyright 2019 Google LLC
   * SPDX-License-Identifier: BSD-3-Clause
   *)

@lit/reactive-element/reactive-element.js:
lit-html/lit-html.js:
lit-element/lit-element.js:
  (**
   * @license
   * Copyright 2017 Google LLC
   * SPDX-License-Identifier: BSD-3-Clause
   *)

lit-html/is-server.js:
  (**
   * @license
   * Copyright 2022 Google LLC
   * SPDX-License-Identifier: BSD-3-Clause
   *)
*/
